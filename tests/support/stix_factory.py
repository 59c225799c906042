"""Small valid STIX 2.1 objects for tests; each call makes a new id unless one is given."""

from __future__ import annotations

import uuid

from fimishare.stix import TLP_GREEN

T0 = "2024-11-01T09:00:00.000Z"


def sdo(type_: str = "malware", *, id: str | None = None, modified: str = T0, created: str = T0, **props) -> dict:
    obj = {
        "type": type_,
        "spec_version": "2.1",
        "id": id or f"{type_}--{uuid.uuid4()}",
        "created": created,
        "modified": modified,
    }
    if type_ == "malware":
        obj.update(name="PoisonIvy", is_family=True)
    elif type_ in ("campaign", "intrusion-set", "threat-actor", "attack-pattern", "tool", "identity"):
        obj["name"] = props.pop("name", f"{type_} {obj['id'][-4:]}")
    obj.update(props)
    return obj


def indicator(pattern: str = "[domain-name:value = 'evil.example']", **props) -> dict:
    props.setdefault("pattern_type", "stix")
    props.setdefault("valid_from", T0)
    props.setdefault("object_marking_refs", [TLP_GREEN])
    return sdo("indicator", pattern=pattern, **props)


def relationship(source: dict, kind: str, target: dict, **props) -> dict:
    return sdo("relationship", relationship_type=kind, source_ref=source["id"], target_ref=target["id"], **props)


def bundle(*objects: dict) -> dict:
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": list(objects)}
