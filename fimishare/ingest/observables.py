"""Normalised observable values: refanging, canonical forms, kind guessing and extraction
of (kind, value) pairs from STIX 2.1 objects (SCOs and ``stix`` indicator patterns).

Everything here is pure and cheap; :func:`extract` never raises.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Any

from fimishare.ingest.patterns import read_pattern

KINDS = ("domain", "url", "ipv4", "ipv6", "email", "hash", "account", "hashtag")

# --------------------------------------------------------------------------- refang

_HXXP = re.compile(r"h(?:xx|XX|xX|Xx|\[xx\]|\[XX\]|\*\*|tt)p(s?)(?=\s*(?:\[:\]|\[://\]|:|\[:/\]))", re.IGNORECASE)
_DOT = re.compile(r"\s*(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\})\s*", re.IGNORECASE)
_COLON = re.compile(r"\[://\]|\[:/\]|\[:\]", re.IGNORECASE)
_AT = re.compile(r"\s*(?:\[@\]|\[at\]|\(at\)|\{at\}|\(@\)|\{@\})\s*", re.IGNORECASE)


# Every defanging form above has a bracket or a mangled "http" in it.
_MAYBE_DEFANGED = re.compile(r"[\[({]|h(?:xx|\*\*|tt)p", re.IGNORECASE)


def _refang_once(text: str) -> str:
    s = _COLON.sub(lambda m: "://" if m.group(0) == "[://]" else (":/" if m.group(0) == "[:/]" else ":"), text)
    s = _HXXP.sub(lambda m: "http" + m.group(1).lower(), s)
    s = _DOT.sub(".", s)
    s = _AT.sub("@", s)
    return s.strip()


def refang(text: str) -> str:
    """Undo common defanging: ``hxxp(s)``, ``[.]``/``(.)``/``{.}``/``[dot]`` -> ``.``,
    ``[:]``/``[://]`` -> ``:``/``://``, ``[@]``/``[at]`` -> ``@``; strips surrounding whitespace."""
    if not isinstance(text, str):
        return ""
    s = text.strip()
    if not _MAYBE_DEFANGED.search(s):
        return s  # most values: nothing to undo, and no need for the rounds below
    for _ in range(8):  # to a fixed point ("[[.].]" and friends), bounded
        n = _refang_once(s)
        if n == s:
            break
        s = n
    return s


# --------------------------------------------------------------------------- normalise

_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://([^/?#]*)(.*)$", re.DOTALL)
_URL_NOSCHEME = re.compile(r"^([^/?#]*)(.*)$", re.DOTALL)
_TRAILING_DOTS = re.compile(r"[\s.]+$")


def _lower_netloc(netloc: str) -> str:
    # keep user-info as given, lower-case host[:port]
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        return f"{userinfo}@{host.lower()}"
    return netloc.lower()


def _norm_url(s: str) -> str:
    m = _URL_SCHEME.match(s)
    if m:
        return f"{m.group(1).lower()}://{_lower_netloc(m.group(2))}{m.group(3)}"
    m = _URL_NOSCHEME.match(s)
    if m:  # scheme-less ("example.com/path"): lower-case the host part only
        return f"{_lower_netloc(m.group(1))}{m.group(2)}"
    return s


def _norm_ip(s: str) -> str:
    t = s
    if t.startswith("[") and t.endswith("]"):
        t = t[1:-1]
    try:
        if "/" in t:
            net = ipaddress.ip_network(t, strict=False)
            if net.prefixlen == net.max_prefixlen:
                return str(net.network_address)
            return net.with_prefixlen
        return ipaddress.ip_address(t).compressed
    except ValueError:
        return s.lower()


def _norm_step(kind: str, value: str) -> str:
    s = refang(value)
    if kind == "domain":
        return _TRAILING_DOTS.sub("", s.lower()).strip()
    if kind == "url":
        return _norm_url(s)
    if kind in ("ipv4", "ipv6"):
        return _norm_ip(s)
    if kind in ("email", "hash"):
        return s.lower()
    if kind == "account":
        return s.lstrip("@").strip().lower()
    if kind == "hashtag":
        return s.lstrip("#").strip().lower()
    raise ValueError(f"unknown observable kind {kind!r}; expected one of {KINDS}")


def normalise(kind: str, value: str) -> str:
    """Refang ``value`` and put it in the canonical form for ``kind`` (one of :data:`KINDS`)."""
    if not isinstance(value, str):
        raise TypeError(f"observable value must be a string, not {type(value).__name__}")
    s = value
    for _ in range(8):  # to a fixed point, so normalise is idempotent; bounded
        n = _norm_step(kind, s)
        if n == s:
            break
        s = n
    return s


# --------------------------------------------------------------------------- guess_kind

_HEX = re.compile(r"^[0-9A-Fa-f]+$")
_HASH_LENGTHS = {32, 40, 56, 64, 96, 128}
_LABEL = r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_\-]{0,61}[A-Za-z0-9_])?)"
_TLD = r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9\-]{1,59})"
_DOMAIN = re.compile(rf"^(?:{_LABEL}\.)+{_TLD}\.?$")
_EMAIL = re.compile(rf"^[A-Za-z0-9!#$%&'*+=^_`{{|}}~.\-]+@(?:{_LABEL}\.)+{_TLD}$")
_SCHEME_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://\S+$")
_HOST_PATH = re.compile(rf"^((?:{_LABEL}\.)+{_TLD})(?::\d{{1,5}})?[/?#]\S*$")
_HANDLE = re.compile(r"^@[\w.]{1,100}$")
_HASHTAG = re.compile(r"^#\w{1,280}$")


def guess_kind(value: str) -> str | None:
    """Which of :data:`KINDS` a (possibly defanged) free-text value is, or None."""
    if not isinstance(value, str):
        return None
    s = refang(value)
    if not s or any(c.isspace() for c in s):
        return None
    if _HEX.match(s) and len(s) in _HASH_LENGTHS:
        return "hash"
    t = s[1:-1] if s.startswith("[") and s.endswith("]") else s
    if ":" in t or t.count(".") == 3 or "/" in t:
        try:
            ip = ipaddress.ip_network(t, strict=False) if "/" in t else ipaddress.ip_address(t)
            return "ipv4" if ip.version == 4 else "ipv6"
        except ValueError:
            pass
    if _SCHEME_URL.match(s):
        return "url"
    if _EMAIL.match(s):
        return "email"
    if _DOMAIN.match(s):
        return "domain"
    if _HOST_PATH.match(s):
        return "url"
    if _HANDLE.match(s):
        return "account"
    if _HASHTAG.match(s):
        return "hashtag"
    return None


# --------------------------------------------------------------------------- extract

_SIMPLE_SCO = {
    "domain-name": "domain",
    "url": "url",
    "ipv4-addr": "ipv4",
    "ipv6-addr": "ipv6",
    "email-addr": "email",
    "hashtag": "hashtag",
    "x-opencti-hashtag": "hashtag",
}

# (object type, first path element) -> kind, for pattern comparisons
_PATTERN_PATHS = {
    ("domain-name", "value"): "domain",
    ("url", "value"): "url",
    ("ipv4-addr", "value"): "ipv4",
    ("ipv6-addr", "value"): "ipv6",
    ("email-addr", "value"): "email",
    ("hashtag", "value"): "hashtag",
    ("x-opencti-hashtag", "value"): "hashtag",
    ("user-account", "account_login"): "account",
    ("user-account", "user_login"): "account",
    ("user-account", "display_name"): "account",
}
_PATTERN_TYPES = re.compile(r"(?:domain-name|url|ipv4-addr|ipv6-addr|email-addr|hashtag|file|user-account):")
_STRING_LITERAL = re.compile(r"'((?:\\.|[^'\\])*)'", re.DOTALL)
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _is_handle(s: str) -> bool:
    return s.strip().startswith("@") and not any(c.isspace() for c in s.strip())


def _literals(raw: str) -> list[str]:
    return [_unescape(m.group(1)) for m in _STRING_LITERAL.finditer(raw)]


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(_escaped, text) if "\\" in text else text


def _escaped(match: re.Match[str]) -> str:
    return match.group(1)


@lru_cache(maxsize=4096)
def _pattern_pairs(pattern: str) -> tuple[tuple[str, str], ...]:
    try:
        comparisons = read_pattern(pattern, "2.1").comparisons
    except Exception:  # noqa: BLE001 - a bad pattern just yields nothing
        return ()
    out: list[tuple[str, str]] = []
    for obj_type, comps in comparisons.items():
        for comp in comps:
            try:
                path, op, raw = comp
            except (TypeError, ValueError):
                continue
            if op not in ("=", "IN") or not path or not isinstance(raw, str):
                continue
            first = path[0]
            kind: str | None
            if obj_type == "file" and first == "hashes":
                kind = "hash"
            else:
                kind = _PATTERN_PATHS.get((obj_type, first))
            if kind is None or len(path) > (2 if kind == "hash" else 1):
                continue
            for lit in _literals(raw):
                if first == "display_name" and not _is_handle(lit):
                    continue
                out.append((kind, lit))
    return tuple(out)


def _add(out: list[tuple[str, str]], seen: set[tuple[str, str]], kind: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        return
    try:
        pair = (kind, normalise(kind, value))
    except Exception:  # noqa: BLE001
        return
    if pair[1] and pair not in seen:
        seen.add(pair)
        out.append(pair)


def extract(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, normalised value) pairs, deduplicated, in order of appearance, from one STIX object."""
    out: list[tuple[str, str]] = []
    try:
        if not isinstance(obj, dict):
            return out
        typ = obj.get("type")
        seen: set[tuple[str, str]] = set()
        if typ in _SIMPLE_SCO:
            _add(out, seen, _SIMPLE_SCO[typ], obj.get("value") if "value" in obj else obj.get("name"))
        elif typ == "file":
            hashes = obj.get("hashes")
            if isinstance(hashes, dict):
                for v in hashes.values():
                    _add(out, seen, "hash", v)
        elif typ == "user-account":
            _add(out, seen, "account", obj.get("account_login"))
            _add(out, seen, "account", obj.get("user_login"))
            dn = obj.get("display_name")
            if isinstance(dn, str) and _is_handle(dn):
                _add(out, seen, "account", dn)
        elif typ == "indicator" and obj.get("pattern_type") == "stix":
            pattern = obj.get("pattern")
            if isinstance(pattern, str) and _PATTERN_TYPES.search(pattern):
                for kind, value in _pattern_pairs(pattern):
                    _add(out, seen, kind, value)
    except Exception:  # noqa: BLE001 - never raise on odd input
        return out
    return out
