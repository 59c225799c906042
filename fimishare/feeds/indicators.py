"""What an indicator cell of a feed observes: STIX cyber-observables and the pattern comparisons that match them.

A cell may hold a domain, an IP address, an email address, a file hash or a URL, a URL may name a
social-media account, and a bare site URL also indicates its host. Values are normalised as the
ingest pipeline normalises them, so that the same observable gets the same SCO id from any feed.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any, cast
from urllib.parse import quote

from fimishare.feeds.csv_files import clean_cell, one_line
from fimishare.ingest import observables
from fimishare.stix import TLP_CLEAR

__all__ = ["Observation", "classify_cell", "display_value", "hash_observation", "observations", "pattern_literal"]

_SCO_NS = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")  # STIX 2.1 SCO id namespace
# the feeds read here are published research: their observables are as shareable as they are
_MARKINGS = [TLP_CLEAR]

_HASH_ALGOS = {32: "MD5", 40: "SHA-1", 64: "SHA-256", 128: "SHA-512"}
_SCO_TYPES = {"domain": "domain-name", "url": "url", "ipv4": "ipv4-addr", "ipv6": "ipv6-addr", "email": "email-addr"}

# social-media hosts -> account_type; the handle is read from the URL path
_SOCIAL_HOSTS = {
    "twitter.com": "twitter",
    "x.com": "twitter",
    "mobile.twitter.com": "twitter",
    "facebook.com": "facebook",
    "m.facebook.com": "facebook",
    "instagram.com": "instagram",
    "tiktok.com": "tiktok",
    "youtube.com": "youtube",
    "m.youtube.com": "youtube",
    "t.me": "telegram",
    "telegram.me": "telegram",
    "reddit.com": "reddit",
    "old.reddit.com": "reddit",
    "threads.net": "threads",
    "medium.com": "medium",
    "vk.com": "vk",
}
# first path segments that are a site's own pages, not somebody's handle
_RESERVED_PATHS = set(
    """
    status statuses share sharer sharer.php watch hashtag intent home search i p reel reels groups pages events
    explore profile.php joinchat s permalink.php story.php video videos shorts playlist results r login privacy
    help about settings tag discover embed photo.php story
    """.split()
)
_HANDLE_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")


class Observation:
    """One concrete observable: its SCO dict and its pattern comparison."""

    __slots__ = ("sco", "comparison")

    def __init__(self, sco: dict[str, Any] | None, comparison: str):
        self.sco = sco
        self.comparison = comparison


def pattern_literal(value: str) -> str:
    """A STIX pattern string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _sco_id(typ: str, contributing: dict[str, Any]) -> str:
    canonical = json.dumps(contributing, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{typ}--{uuid.uuid5(_SCO_NS, canonical)}"


def _simple_observation(kind: str, value: str) -> Observation:
    typ = _SCO_TYPES[kind]
    sco = {
        "type": typ,
        "spec_version": "2.1",
        "id": _sco_id(typ, {"value": value}),
        "value": value,
        "object_marking_refs": list(_MARKINGS),
    }
    return Observation(sco, f"{typ}:value = {pattern_literal(value)}")


def hash_observation(value: str, algo: str | None = None) -> Observation | None:
    """A file by its hash, the algorithm told or guessed from the length; None if the value is not one."""
    value = observables.normalise("hash", value)
    algo = algo or _HASH_ALGOS.get(len(value))
    if not algo or not re.fullmatch(r"[0-9a-f]+", value):
        return None
    hashes = {algo: value}
    sco = {
        "type": "file",
        "spec_version": "2.1",
        "id": _sco_id("file", {"hashes": hashes}),
        "hashes": hashes,
        "object_marking_refs": list(_MARKINGS),
    }
    return Observation(sco, f"file:hashes.{pattern_literal(algo)} = {pattern_literal(value)}")


def _account_observation(handle: str, account_type: str | None, user_id: str | None = None) -> Observation:
    login = observables.normalise("account", handle) if handle else None
    contributing = {}
    if account_type:
        contributing["account_type"] = account_type
    if user_id:
        contributing["user_id"] = user_id
    if login:
        contributing["account_login"] = login
    sco: dict[str, Any] = {"type": "user-account", "spec_version": "2.1", "id": _sco_id("user-account", contributing)}
    sco.update(contributing)
    sco["object_marking_refs"] = list(_MARKINGS)
    parts = []
    if account_type:
        parts.append(f"user-account:account_type = {pattern_literal(account_type)}")
    if user_id:
        parts.append(f"user-account:user_id = {pattern_literal(user_id)}")
    if login:
        parts.append(f"user-account:account_login = {pattern_literal(login)}")
    return Observation(sco, " AND ".join(parts))


def _social_account(url: str) -> Observation | None:
    m = re.match(r"^(?:[a-z][a-z0-9+.\-]*://)?([^/?#]+)(/[^?#]*)?", url)
    if not m:
        return None
    host = m.group(1).rsplit("@", 1)[-1].split(":", 1)[0]
    if host.startswith("www."):
        host = host[4:]
    account_type = _SOCIAL_HOSTS.get(host)
    if not account_type:
        return None
    segments = [s for s in (m.group(2) or "").split("/") if s]
    if not segments:
        return None
    first = segments[0]
    if account_type == "youtube":
        if first.startswith("@"):
            handle = first
        elif first in ("c", "user") and len(segments) > 1:
            handle = segments[1]
        elif first == "channel" and len(segments) > 1 and _HANDLE_RE.match(segments[1]):
            return _account_observation("", account_type, user_id=segments[1])
        else:
            return None
    elif account_type == "reddit":
        if first in ("user", "u") and len(segments) > 1:
            handle = segments[1]
        else:
            return None
    elif account_type in ("tiktok", "medium", "threads"):
        if not first.startswith("@"):
            return None
        handle = first
    else:
        handle = first
    bare = handle.lstrip("@")
    if not bare or bare.lower() in _RESERVED_PATHS or bare.startswith("+") or not _HANDLE_RE.match(bare):
        return None
    return _account_observation(bare, account_type)


def display_value(obs: Observation) -> str:
    """The observed value as a person would quote it."""
    sco = obs.sco or {}
    if "value" in sco:
        return cast(str, sco["value"])
    if "hashes" in sco:
        return cast(str, next(iter(sco["hashes"].values())))
    return sco.get("account_login") or sco.get("user_id") or obs.comparison


def observations(kind: str, value: str) -> list[Observation]:
    """SCOs and pattern comparisons for one (kind, raw value); [] when not a concrete observable."""
    try:
        norm = observables.normalise(kind, value)
    except (ValueError, TypeError):
        return []
    if not norm:
        return []
    if kind == "hash":
        obs = hash_observation(norm)
        return [obs] if obs else []
    if kind in ("domain", "ipv4", "ipv6", "email"):
        return [_simple_observation(kind, norm)]
    if kind == "account":
        return [_account_observation(norm, None)]
    if kind == "url":
        if not re.match(r"^[a-z][a-z0-9+.\-]*://", norm):
            # STIX url values must be absolute URIs: assume http for scheme-less ones ("twitter.com/x")
            norm = observables.normalise("url", "http://" + norm)
        if not norm.isascii() or " " in norm:
            # IRI -> URI (RFC 3987 section 3.1): percent-encode what a URI may not contain
            norm = quote(norm, safe="!#$%&'()*+,/:;=?@[]~-._")
        out = [_simple_observation("url", norm)]
        account = _social_account(norm)
        if account is not None:
            out.append(account)
            return out
        m = re.match(r"^(?:[a-z][a-z0-9+.\-]*://)?([^/?#@]+)/?$", norm)
        if m:  # a bare site URL also indicates its host
            host = m.group(1).split(":", 1)[0] if not m.group(1).startswith("[") else m.group(1)
            host_kind = observables.guess_kind(host)
            if host_kind in ("domain", "ipv4", "ipv6"):
                out.append(_simple_observation(host_kind, observables.normalise(host_kind, host)))
        return out
    return []  # hashtags and anything else: no standard SCO / pattern


def classify_cell(text: str) -> tuple[list[Observation], str, str]:
    """(observations, observable as published, remainder text) for a free-text indicator cell.

    The whole cell is tried first, then its first word, so that "example.com (registered 2021)"
    still yields the domain and keeps the remark.
    """
    t = clean_cell(text)
    if not t:
        return [], "", ""
    kind = observables.guess_kind(t)
    if kind:
        return observations(kind, t), t, ""
    tokens = t.split(None, 1)
    first = tokens[0].rstrip(",;")
    kind = observables.guess_kind(first)
    if kind in ("domain", "url", "email", "ipv4", "ipv6", "hash"):
        obs = observations(kind, first)
        if obs:
            rest = t[len(tokens[0]) :].strip() if len(tokens) > 1 else ""
            return obs, first, one_line(rest)
    return [], "", ""
