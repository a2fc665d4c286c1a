"""`eams metrics query DEVICE`: a device's recent metrics as a small table for an operator at a
terminal, read through the same query service as /api/v1/metrics/series (the embedded store's
file, or InfluxDB when configured), one row per entity and field over the whole range.

Run on the server itself, it is unscoped (the operator can read the database anyway).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from eams.auth import Principal
from eams.cli.common import EXIT_UNAVAILABLE, EXIT_USAGE, console, fail, open_services
from eams.i18n import gettext_for
from eams.i18n.format import format_datetime
from eams.metrics import query
from eams.metrics.answers import SeriesAnswer, SeriesOut
from eams.metrics.backends.base import BackendError
from eams.metrics.devices import UnknownDevice, resolve_devices
from eams.metrics.wiring import build_service, measurement_schema
from inventory.models import Role

app = typer.Typer(help="Metrics read back: a device's recent values at the terminal.", no_args_is_help=True)

DEFAULT_FIELDS = ["interface.in_octets", "interface.out_octets"]
HEADERS = ("Entity", "Field", "Unit", "Minimum", "Mean", "Maximum", "Last", "Points")


def bilingual(message: str) -> str:
    """Vietnamese first, the English beside it (the catalogue's msgid)."""
    vietnamese = gettext_for("vi", message)
    return message if vietnamese == message else f"{vietnamese} / {message}"


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    text = f"{value:,.2f}" if abs(value) < 1e15 else f"{value:.3e}"
    # Vietnamese readers write 1.234,56: swap the separators.
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _summary(values: list[float | None]) -> list[float]:
    return [v for v in values if v is not None]


def entity_label(entity: dict[str, str]) -> str:
    """The entity as an operator names it: `eth0` rather than `ifDescr=eth0, ifIndex=4, ifName=eth0`
    (index tags and repeated values left out when a name is there)."""
    named = {k: v for k, v in entity.items() if not k.endswith("Index")} or entity
    values = list(dict.fromkeys(named.values()))
    return ", ".join(values) or "-"


def _row(series: SeriesOut, field: str) -> list[str]:
    entity = entity_label(series.entity)
    lows, highs = _summary(series.min), _summary(series.max)
    total = sum(series.count)
    means = [m * c for m, c in zip(series.mean, series.count, strict=True) if m is not None]
    lasts = _summary(series.last)
    return [
        entity,
        field,
        series.unit,
        _number(min(lows) if lows else None),
        _number(sum(means) / total if total and means else None),
        _number(max(highs) if highs else None),
        _number(lasts[-1] if lasts else None),
        str(total),
    ]


def _parse_fields(fields: list[str]) -> dict[str, list[str]]:
    """measurement -> its fields, in the order given; checked against the schema."""
    schema = measurement_schema()
    wanted: dict[str, list[str]] = {}
    for pair in dict.fromkeys(fields):
        name, sep, field = pair.partition(".")
        if not sep or not field:
            raise query.QueryError(
                f"--field {pair!r} is not measurement.field, e.g. interface.in_octets", "field"
            )
        m = query.measurement(schema, name)
        query.numeric_field(m, field)
        wanted.setdefault(name, []).append(field)
    return wanted


@app.command("query")
def query_command(
    device: Annotated[str, typer.Argument(help="device name or id, as in the inventory")],
    field: Annotated[
        list[str] | None,
        typer.Option("--field", "-f", help="measurement.field, repeatable (default: interface octets)"),
    ] = None,
    since: Annotated[str, typer.Option(help="how far back, e.g. 15m, 1h, 24h, 7d")] = "1h",
    raw: Annotated[bool, typer.Option("--raw", help="counters as stored, not per-second rates")] = False,
) -> None:
    """Print DEVICE's metrics over the last SINCE: min, mean, max and last value per entity."""
    with open_services() as services:
        settings = services.settings
        try:
            wanted = _parse_fields(field or DEFAULT_FIELDS)
            window = query.time_range(
                settings.metrics, since=since, start=None, end=None, step=None, steps=None
            )
            with services.db.session(actor="cli") as session:
                caller = Principal(name="cli", role=Role.admin)
                found = resolve_devices(session, caller, [device], limit=1) or []
        except query.QueryError as error:
            raise fail(error.message, EXIT_USAGE) from None
        except UnknownDevice:
            raise fail(f"device {device!r} is not in the inventory (name or id)", EXIT_USAGE) from None
        service = build_service(settings)
        schema = measurement_schema()
        answers: list[SeriesAnswer] = []
        try:
            for name, names in wanted.items():
                m = schema[name]
                request = query.SeriesRequest(m, [m.fields[f] for f in names], found, {}, window, raw=raw)
                answers.append(service.series(request))
        except query.QueryError as error:
            raise fail(error.message, EXIT_USAGE) from None
        except BackendError as error:
            raise fail(str(error), EXIT_UNAVAILABLE) from None
    _print(found[0].name, answers, window)


def _print(device: str, answers: list[SeriesAnswer], window: query.TimeRange) -> None:
    start = format_datetime(datetime.fromtimestamp(window.start_ns / 1e9).astimezone())
    end = format_datetime(datetime.fromtimestamp(window.end_ns / 1e9).astimezone())
    backend = answers[0].backend if answers else "-"
    table = Table(title=f"{device} · {start} – {end} ({backend})")
    for header in HEADERS:
        text = header in ("Entity", "Field", "Unit")
        table.add_column(bilingual(header), justify="left" if text else "right", no_wrap=header != "Entity")
    rows = 0
    for answer in answers:
        for series in answer.series:
            label = f"{answer.measurement}.{series.field}"
            table.add_row(*_row(series, label))
            rows += 1
    if not rows:
        console.print(
            f"{bilingual('No data')}: {device} {start} – {end}",
        )
        return
    console.print(table)
