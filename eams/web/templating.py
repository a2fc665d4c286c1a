"""Jinja2 templates with the translation catalogue and the Vietnamese formats.

One environment per language (the catalogue is installed into it), built once; every template
lives under `eams/web/templates/<area>/`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from eams.i18n import translations
from eams.i18n.columns import column_label, table_label, title_label
from eams.i18n.format import (
    format_bits_per_second,
    format_date,
    format_datetime,
    format_number,
    format_vnd,
)
from eams.web.context import PageContext

TEMPLATES = Path(__file__).parent / "templates"


def N_(message: str) -> str:
    """Marks a string for the catalogue where it is defined; translated where it is shown."""
    return message


def query_with(params: Mapping[str, Any] | list[tuple[str, str]], **changes: Any) -> str:
    """The current query string with some parameters replaced (None removes one): paging links,
    sort links, keeping every filter, so a list view stays a bookmark."""
    items = list(params.items()) if isinstance(params, Mapping) else list(params)
    kept = [(k, v) for k, v in items if k not in changes]
    kept += [(k, v) for k, v in changes.items() if v is not None and v != ""]
    return urlencode(kept)


@cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        date=format_date,
        datetime=format_datetime,
        number=format_number,
        vnd=format_vnd,
        bps=format_bits_per_second,
    )
    env.globals["query_with"] = query_with
    from eams.web.labels import choices, label  # labels marks its words with N_ from this module

    env.globals.update(label=label, choices=choices, role_label=lambda code: label("role", code))
    env.globals.update(
        column_label=lambda code: column_label(language, code),
        table_label=lambda code: table_label(language, code),
        title_label=lambda text: title_label(language, text),
    )
    return env


def render(
    request: Request, page: PageContext, template: str, status_code: int = 200, **values: Any
) -> HTMLResponse:
    env = environment(page.language)
    html = env.get_template(template).render(request=request, page=page, **values)
    return HTMLResponse(html, status_code=status_code)


def translate(language: str, message: str) -> str:
    return translations(language).gettext(message)
