"""One translation catalogue for every text a person reads: pages, report and export headers.

Source strings (msgids) are English; `locale/vi/LC_MESSAGES/messages.po` holds the Vietnamese,
which is the default language. The .po file is compiled in memory when first used (Babel), so
there is no build step and no binary file in the repository.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES: tuple[str, ...] = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def normalise_language(value: str | None) -> str:
    """A supported language code from a cookie, a setting or an Accept-Language header."""
    if value:
        for part in value.replace(" ", "").split(","):
            code = part.split(";", 1)[0].split("-", 1)[0].lower()
            if code in LANGUAGES:
                return code
    return DEFAULT_LANGUAGE


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of `language`; English is the msgids themselves."""
    path = catalogue_path(language)
    if language == "en" or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(language: str, message: str) -> str:
    return translations(normalise_language(language)).gettext(message)


__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "catalogue_path",
    "gettext_for",
    "normalise_language",
    "translations",
]
