"""A generated, realistic STIX 2.1 corpus: FIMI and cyber reports with observables, in English and Japanese."""

from __future__ import annotations

import random
import uuid

from fimishare.stix import TLP_AMBER, TLP_CLEAR, TLP_GREEN

_WORDS_EN = "election narrative bot network amplification proxy outlet forged leak ministry maritime drill satellite phishing".split()
_WORDS_JA = "選挙 偽情報 拡散 工作 海洋 安全保障 サイバー 攻撃 偽装 報道 外国 干渉".split()
_TLDS = ["com", "net", "org", "info", "ru", "cn", "jp", "eu", "news"]


def _id(rng: random.Random, kind: str) -> str:
    return f"{kind}--{uuid.UUID(int=rng.getrandbits(128), version=4)}"


def _stamp(rng: random.Random) -> str:
    date = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return f"{date}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}Z"


def _text(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return "".join(rng.choices(_WORDS_JA, k=12)) + "。"
    return " ".join(rng.choices(_WORDS_EN, k=20)) + "."


def _observable(rng: random.Random) -> tuple[str, str]:
    kind = rng.random()
    host = f"{''.join(rng.choices('abcdefghijklmnopqrstuvwxyz', k=rng.randint(5, 12)))}.{rng.choice(_TLDS)}"
    if kind < 0.4:
        return "domain-name:value", host
    if kind < 0.6:
        return "url:value", f"https://{host}/{rng.randint(1, 99999)}"
    if kind < 0.8:
        return "ipv4-addr:value", f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    return "file:hashes.'SHA-256'", f"{rng.getrandbits(256):064x}"


def generate(count: int, seed: int = 2024) -> list[dict]:
    rng = random.Random(seed)
    objects: list[dict] = []
    author = {
        "type": "identity",
        "spec_version": "2.1",
        "id": _id(rng, "identity"),
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "name": "Bench CERT",
        "identity_class": "organization",
    }
    objects.append(author)
    campaigns = []
    while len(objects) < count:
        created = _stamp(rng)
        base = {
            "spec_version": "2.1",
            "created": created,
            "modified": created,
            "created_by_ref": author["id"],
            "object_marking_refs": [rng.choice([TLP_CLEAR, TLP_GREEN, TLP_GREEN, TLP_AMBER])],
        }
        roll = rng.random()
        if roll < 0.05 or not campaigns:
            obj = dict(base, type="campaign", id=_id(rng, "campaign"), name=f"Operation {rng.randint(1, 10**6)}", description=_text(rng))
            campaigns.append(obj["id"])
            objects.append(obj)
        elif roll < 0.55:
            path, value = _observable(rng)
            indicator = dict(
                base,
                type="indicator",
                id=_id(rng, "indicator"),
                pattern=f"[{path} = '{value}']",
                pattern_type="stix",
                valid_from=created,
                description=_text(rng),
                indicator_types=["malicious-activity"],
            )
            objects.append(indicator)
            if len(objects) < count:
                objects.append(
                    dict(
                        base,
                        type="relationship",
                        id=_id(rng, "relationship"),
                        relationship_type="indicates",
                        source_ref=indicator["id"],
                        target_ref=rng.choice(campaigns),
                    )
                )
        elif roll < 0.65:
            objects.append(
                dict(
                    base,
                    type="malware",
                    id=_id(rng, "malware"),
                    name=f"Loader{rng.randint(1, 9999)}",
                    is_family=True,
                    description=_text(rng),
                )
            )
        elif roll < 0.75:
            objects.append(
                dict(base, type="threat-actor", id=_id(rng, "threat-actor"), name=f"Actor {rng.randint(1, 9999)}", description=_text(rng))
            )
        else:
            objects.append(dict(base, type="note", id=_id(rng, "note"), content=_text(rng), object_refs=[rng.choice(campaigns)]))
    return objects[:count]
