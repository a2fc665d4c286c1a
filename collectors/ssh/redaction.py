"""Turns a device's raw configuration into what we store: secrets masked, volatile lines dropped.

Only the cleaned text is hashed and stored, so a rotating timestamp never makes a new version and
a secret never reaches the database, an event or a diff.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from collectors.ssh.platforms import Platform

MASK = "<redacted>"


@dataclass(frozen=True, slots=True)
class CleanConfig:
    text: str
    sha256: str
    redacted: int  # how many secrets were masked
    dropped: int  # how many volatile lines were left out


def redact(text: str, patterns: tuple[re.Pattern[str], ...]) -> tuple[str, int]:
    """Masks every match; a pattern's first group (the keyword before the secret) is kept.

    Patterns overlap on purpose (a specific one per command plus broad keyword ones), so a match
    whose secret is already the mask is left alone and not counted twice."""
    total = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal total
        kept = match.group(1) if match.re.groups >= 1 and match.group(1) is not None else ""
        if match.group(0)[len(kept) :] == MASK:
            return match.group(0)
        total += 1
        return kept + MASK

    for pattern in patterns:
        text = pattern.sub(replace, text)
    return text, total


def drop_volatile(text: str, patterns: tuple[re.Pattern[str], ...]) -> tuple[str, int]:
    kept: list[str] = []
    dropped = 0
    for line in text.splitlines():
        if any(pattern.search(line) for pattern in patterns):
            dropped += 1
        else:
            kept.append(line.rstrip())
    return "\n".join(kept).strip("\n") + "\n", dropped


def clean_config(raw: str, platform: Platform) -> CleanConfig:
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text, dropped = drop_volatile(text, platform.volatile)
    text, redacted = redact(text, platform.redact)
    return CleanConfig(text, hashlib.sha256(text.encode()).hexdigest(), redacted, dropped)
