"""Text as it is stored: Unicode NFC, whichever way it was typed.

Vietnamese can be written composed (one code point for "ở") or decomposed (o + horn + hook above,
NFD: what macOS and some editors write). Both look the same and compare different, so every
boundary (API bodies, CSV cells, discovered and SSH facts, trap varbinds) composes text here
before it is compared or stored.
"""

from __future__ import annotations

import unicodedata
from typing import Any


def nfc(text: str) -> str:
    """`text` in composed form (ASCII, the common case, is returned as it is)."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", text)


def nfc_deep(value: Any) -> Any:
    """`value` with every string in it composed: dict keys and values, list and tuple items."""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, dict):
        return {nfc_deep(key): nfc_deep(item) for key, item in value.items()}
    if isinstance(value, list):
        return [nfc_deep(item) for item in value]
    if isinstance(value, tuple):
        return tuple(nfc_deep(item) for item in value)
    return value
