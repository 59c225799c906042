"""A complete FIMI incident and a complete cyber incident, each a bundle of valid STIX 2.1 that
its fimishare profile accepts without a problem (built by hand after the profiles' examples)."""

from __future__ import annotations

from fimishare.stix import TLP_2_0_EXTENSION, TLP_GREEN
from fimishare.stix_profiles import frameworks
from fimishare.stix_profiles.profiles import (
    CYBER_EXTENSION,
    FIMI_EXTENSION,
    INCIDENT_CORE_EXTENSION,
    OPENCTI_EXTENSION,
)

T = "2025-03-10T09:00:00.000Z"
PARTNER = "identity--5a1c7a3e-0f36-4d5e-9a55-3f4a1c8e2b10"
MARKING = [TLP_GREEN]

TLP_GREEN_OBJECT = {
    "type": "marking-definition",
    "spec_version": "2.1",
    "id": TLP_GREEN,
    "created": "2022-10-01T00:00:00.000Z",
    "name": "TLP:GREEN",
    "extensions": {TLP_2_0_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": "green"}},
}


def sdo(type_, uuid, **props):
    obj = {
        "type": type_,
        "spec_version": "2.1",
        "id": f"{type_}--{uuid}",
        "created": T,
        "modified": T,
        "created_by_ref": PARTNER,
        "object_marking_refs": MARKING,
    }
    obj.update(props)
    return obj


def rel(uuid, source, rel_type, target):
    return sdo("relationship", uuid, relationship_type=rel_type, source_ref=source["id"], target_ref=target["id"])


def technique(uuid, creator, external_id, name, url):
    return {
        "type": "attack-pattern",
        "spec_version": "2.1",
        "id": f"attack-pattern--{uuid}",
        "created": "2024-11-22T16:43:58.079Z",
        "modified": "2024-11-22T16:43:58.079Z",
        "created_by_ref": creator,
        "name": name,
        "external_references": [{"source_name": "mitre-attack", "external_id": external_id, "url": url}],
    }


DISARM_T0002 = technique(
    "70717452-f7e3-4ce8-956f-39a4d34c5cfb",
    frameworks.DISARM_IDENTITY,
    "T0002",
    "Facilitate State Propaganda",
    "https://github.com/DISARMFoundation/DISARMframeworks/blob/main/generated_pages/techniques/T0002.md",
)
DISARM_T0085_001 = technique(
    "6a3d5c2b-1f4e-4b7a-9c8d-0e1f2a3b4c5d",
    frameworks.DISARM_IDENTITY,
    "T0085.001",
    "Develop AI-Generated Text",
    "https://github.com/DISARMFoundation/DISARMframeworks/blob/main/generated_pages/techniques/T0085.001.md",
)
ATTACK_T1566_001 = technique(
    "2e34237d-8574-43f6-aace-ae2915de8597",
    frameworks.MITRE_IDENTITY,
    "T1566.001",
    "Spearphishing Attachment",
    "https://attack.mitre.org/techniques/T1566/001",
)


def fimi_bundle():
    partner = {
        "type": "identity",
        "spec_version": "2.1",
        "id": PARTNER,
        "created": T,
        "modified": T,
        "name": "Example EU partner",
        "identity_class": "organization",
        "object_marking_refs": MARKING,
    }
    japan = sdo("location", "0b7c3d9e-2a4f-4c61-8e5d-7f1a2b3c4d5e", name="Japan", country="JP")
    incident = sdo(
        "incident",
        "8e2f1c4a-6b3d-4e5f-a7c8-9d0e1f2a3b4c",
        name="Coordinated inauthentic network amplifying a fabricated Fukushima water story",
        description="Network of accounts amplifying fabricated claims about ALPS treated water.",
        lang="en",
        extensions={
            INCIDENT_CORE_EXTENSION: {
                "extension_type": "property-extension",
                "determination": "successful-attempt",
                "investigation_status": "open",
                "criticality": 60,
                "detection_methods": ["human-review"],
            },
            FIMI_EXTENSION: {
                "extension_type": "property-extension",
                "target_countries": ["JP", "KR", "DE"],
                "target_audiences": ["Japanese fishing communities", "South Korean public"],
                "languages": ["ja", "ko", "zh-Hans", "en-GB"],
                "platforms": ["x", "facebook", "line", "website"],
                "cooperation_areas": ["hybrid-fimi", "maritime"],
            },
        },
    )
    channel = sdo(
        "channel",
        "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b",
        name="example-news.invalid",
        description="Look-alike news site republishing state media content.",
        channel_types=["website"],
        aliases=["Example News"],
        lang="ja",
        extensions={
            OPENCTI_EXTENSION: {"extension_type": "new-sdo"},
            FIMI_EXTENSION: {
                "extension_type": "property-extension",
                "exposure_category": "state-linked",
                "exposure_confidence": 70,
                "languages": ["ja"],
                "platforms": ["website"],
            },
        },
    )
    narrative = sdo(
        "narrative",
        "2a3b4c5d-6e7f-4809-9a1b-2c3d4e5f6a7b",
        name="Treated water release poisons the Pacific",
        narrative_types=["environment"],
        aliases=["ocean poisoning"],
        extensions={OPENCTI_EXTENSION: {"extension_type": "new-sdo"}},
    )
    subnarrative = sdo(
        "narrative",
        "3b4c5d6e-7f80-4912-8b2c-3d4e5f6a7b8c",
        name="Japanese seafood is contaminated",
        description="Sub-narrative targeting seafood exports.",
        extensions={OPENCTI_EXTENSION: {"extension_type": "new-sdo"}},
    )
    relationships = [
        rel("a0000000-0000-4000-8000-000000000001", incident, "uses", DISARM_T0002),
        rel("a0000000-0000-4000-8000-000000000002", incident, "uses", DISARM_T0085_001),
        rel("a0000000-0000-4000-8000-000000000003", incident, "uses", channel),
        rel("a0000000-0000-4000-8000-000000000004", incident, "uses", narrative),
        rel("a0000000-0000-4000-8000-000000000005", channel, "related-to", narrative),
        rel("a0000000-0000-4000-8000-000000000006", subnarrative, "subnarrative-of", narrative),
        rel("a0000000-0000-4000-8000-000000000007", incident, "targets", japan),
    ]
    disarm_identity = {
        "type": "identity",
        "spec_version": "2.1",
        "id": frameworks.DISARM_IDENTITY,
        "created": "2024-11-22T16:43:58.073Z",
        "modified": "2024-11-22T16:43:58.073Z",
        "name": "DISARM Foundation",
        "identity_class": "organization",
    }
    return [
        TLP_GREEN_OBJECT,
        partner,
        disarm_identity,
        DISARM_T0002,
        DISARM_T0085_001,
        japan,
        incident,
        channel,
        narrative,
        subnarrative,
        *relationships,
    ]


def cyber_bundle():
    partner = {
        "type": "identity",
        "spec_version": "2.1",
        "id": PARTNER,
        "created": T,
        "modified": T,
        "name": "Example EU partner",
        "identity_class": "organization",
        "sectors": ["government-national"],
        "object_marking_refs": MARKING,
    }
    mitre = {
        "type": "identity",
        "spec_version": "2.1",
        "id": frameworks.MITRE_IDENTITY,
        "created": "2017-06-01T00:00:00.000Z",
        "modified": "2017-06-01T00:00:00.000Z",
        "name": "The MITRE Corporation",
        "identity_class": "organization",
    }
    malware = sdo(
        "malware", "4c5d6e7f-8091-4a2b-8c3d-4e5f6a7b8c9d", name="ExampleRAT", is_family=True, malware_types=["remote-access-trojan"]
    )
    tool = sdo("tool", "5d6e7f80-91a2-4b3c-9d4e-5f6a7b8c9d0e", name="Cobalt Strike", tool_types=["remote-access"])
    infrastructure = sdo(
        "infrastructure", "6e7f8091-a2b3-4c4d-8e5f-6a7b8c9d0e1f", name="C2 server", infrastructure_types=["command-and-control"]
    )
    indicator = sdo(
        "indicator",
        "7f8091a2-b3c4-4d5e-9f6a-7b8c9d0e1f2a",
        name="C2 address",
        pattern="[ipv4-addr:value = '198.51.100.7']",
        pattern_type="stix",
        valid_from=T,
        indicator_types=["malicious-activity"],
        extensions={CYBER_EXTENSION: {"extension_type": "property-extension", "cooperation_areas": ["cyber"]}},
    )
    sighting = sdo(
        "sighting",
        "8091a2b3-c4d5-4e6f-8a7b-8c9d0e1f2a3b",
        sighting_of_ref=indicator["id"],
        where_sighted_refs=[PARTNER],
        count=3,
        first_seen=T,
        last_seen=T,
        extensions={CYBER_EXTENSION: {"extension_type": "property-extension", "target_countries": ["JP"]}},
    )
    incident = sdo(
        "incident",
        "91a2b3c4-d5e6-4f7a-9b8c-9d0e1f2a3b4c",
        name="Spearphishing against a ministry",
        extensions={
            INCIDENT_CORE_EXTENSION: {
                "extension_type": "property-extension",
                "determination": "blocked",
                "investigation_status": "closed",
                "recoverability": "regular",
            },
            CYBER_EXTENSION: {
                "extension_type": "property-extension",
                "impact": "minimal",
                "sectors": ["government-national", "defense"],
                "target_countries": ["JP", "BE"],
                "cooperation_areas": ["cyber", "defence-industry"],
            },
        },
    )
    relationships = [
        rel("b0000000-0000-4000-8000-000000000001", incident, "uses", ATTACK_T1566_001),
        rel("b0000000-0000-4000-8000-000000000002", incident, "uses", malware),
        rel("b0000000-0000-4000-8000-000000000003", incident, "uses", tool),
        rel("b0000000-0000-4000-8000-000000000004", indicator, "indicates", malware),
        rel("b0000000-0000-4000-8000-000000000005", malware, "uses", infrastructure),
        rel("b0000000-0000-4000-8000-000000000006", incident, "targets", partner),
    ]
    return [
        TLP_GREEN_OBJECT,
        partner,
        mitre,
        ATTACK_T1566_001,
        malware,
        tool,
        infrastructure,
        indicator,
        sighting,
        incident,
        *relationships,
    ]
