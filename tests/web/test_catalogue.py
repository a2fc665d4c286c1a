"""The translation catalogue: every visible string is in it, and every entry has Vietnamese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from jinja2 import Environment

from eams.i18n import DEFAULT_LANGUAGE, catalogue_path, gettext_for
from eams.i18n.columns import COLUMN_LABELS, TABLE_LABELS
from eams.web.templating import TEMPLATES

ROOT = Path(__file__).resolve().parents[2]
# Shown in their own language or not words at all: the brand, the language names in the switch.
# Units are symbols, the same in both languages.
LITERALS = {"EAMS", "English", "Tiếng Việt", "CSV", "Mbit/s"}
VISIBLE_ATTRIBUTES = re.compile(r'\b(placeholder|title|aria-label|alt)="([^"{]*)"')


def vietnamese() -> dict[str, str]:
    with catalogue_path("vi").open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    assert not catalog.fuzzy
    return {m.id: m.string for m in catalog if m.id and "fuzzy" not in m.flags}  # type: ignore[misc]


def extracted() -> set[str]:
    """What scripts/i18n-extract.sh would extract now, from the sources as they are."""
    # Relative to eams/, and no catch-all "ignore" pattern: Babel 2.19 does not walk into a
    # directory an ignore pattern matches, and "**" matched every one (nothing was extracted).
    method_map = [
        ("web/**.py", "python"),
        ("i18n/**.py", "python"),
        ("web/templates/**.html", "jinja2"),
    ]
    options = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true"}}
    keywords = {"_": None, "gettext": None, "N_": None, "translate": (2,), "gettext_for": (2,)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "eams"), method_map, options, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_vietnamese_is_the_default_language() -> None:
    assert DEFAULT_LANGUAGE == "vi"
    assert gettext_for("vi", "Devices") == "Thiết bị"
    assert gettext_for("en", "Devices") == "Devices"


def test_every_catalogue_entry_has_a_vietnamese_translation() -> None:
    untranslated = sorted(msgid for msgid, text in vietnamese().items() if not text.strip())
    assert untranslated == [], f"translate these in {catalogue_path('vi')}: {untranslated}"


def test_every_marked_string_in_the_sources_is_in_the_catalogue() -> None:
    assert "Devices" in extracted()  # the extraction itself finds the sources
    missing = sorted(extracted() - set(vietnamese()))
    assert missing == [], f"run scripts/i18n-extract.sh and translate: {missing}"


def test_placeholders_survive_translation() -> None:
    for msgid, text in vietnamese().items():
        wanted = sorted(re.findall(r"%\(\w+\)s", msgid))
        assert sorted(re.findall(r"%\(\w+\)s", text)) == wanted, msgid


def test_report_columns_and_tables_have_words() -> None:
    catalogue = vietnamese()
    for message in [*COLUMN_LABELS.values(), *TABLE_LABELS.values()]:
        assert catalogue.get(message), message


def visible_literals(source: str) -> list[str]:
    """Text a template shows that does not go through the catalogue. Every Jinja construct becomes
    a placeholder, so a tag cut by `{% if %}` is still one tag; then tags, scripts and entities are
    taken out and whatever words remain were written as plain text. Visible attributes
    (placeholder, title, aria-label, alt) written as plain text count too."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    flat = "".join(value if kind == "data" else "\x00" for _line, kind, value in env.lex(source))
    found = [m.group(2) for m in VISIBLE_ATTRIBUTES.finditer(flat) if re.search(r"[^\W\d_]", m.group(2))]
    text = re.sub(r"<script\b[^>]*>.*?</script>", " ", flat, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text)
    text = re.sub(r"&\w+;|&#\d+;", " ", text)
    found += [
        chunk.strip() for chunk in re.split(r"[\x00\n]|\s{2,}", text) if re.search(r"[^\W\d_]{2,}", chunk)
    ]
    return [f for f in found if f.strip(" ·–:,()") not in LITERALS]


@pytest.mark.parametrize(
    "template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html"))
)
def test_templates_show_no_text_outside_the_catalogue(template: str) -> None:
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    assert visible_literals(source) == []


def test_the_literal_check_can_fail() -> None:
    assert visible_literals("<p>Thiết bị</p>") == ["Thiết bị"]
    assert visible_literals('<input placeholder="Search">') == ["Search"]
    assert visible_literals("<p>{{ _('Devices') }}</p>") == []


def test_no_message_is_in_the_catalogue_twice() -> None:
    """Two branches once added "Disabled" for a rule and for an account with different
    translations; gettext kept one and the other page said the wrong thing."""
    ids = re.findall(r'^msgid "(.+)"$', catalogue_path("vi").read_text(encoding="utf-8"), re.MULTILINE)
    assert len(ids) > 100
    twice = sorted({i for i in ids if ids.count(i) > 1})
    assert twice == [], f"give these one entry (or a clearer msgid each): {twice}"
