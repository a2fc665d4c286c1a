"""`eams dashboards render` (JSON files for provisioning) and `eams dashboards push` (Grafana's API)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from dashboards.push import Grafana, GrafanaError, api_datasource, influx_datasource, push
from dashboards.render import JSON_DIR, dashboards, differences, schema_problems, write
from eams.cli.common import EXIT_UNAVAILABLE, EXIT_USAGE, console, fail

EXIT_STALE = 1

app = typer.Typer(help="Grafana dashboards built as code: render them, push them.", no_args_is_help=True)


@app.command()
def render(
    out: Annotated[Path, typer.Option(help="folder for the JSON files")] = JSON_DIR,
    check: Annotated[
        bool, typer.Option("--check", help="write nothing; exit 1 if the files differ from a fresh render")
    ] = False,
) -> None:
    """Render every dashboard to <uid>.json (Grafana provisions the folder; see docker/compose.yaml)."""
    wrong = schema_problems(dashboards())
    if wrong:
        raise fail("queries name what no collector writes: " + "; ".join(wrong), EXIT_STALE)
    if check:
        stale = differences(out)
        if stale:
            raise fail(
                f"{', '.join(stale)} in {out} differ from a fresh render: run `eams dashboards render`",
                EXIT_STALE,
            )
        console.print(f"{out}: every dashboard is up to date")
        return
    for path in write(out):
        console.print(f"wrote {path}")


@app.command("push")
def push_command(
    url: Annotated[str, typer.Option(help="Grafana's address, e.g. https://grafana.tinh.gov.vn")],
    token: Annotated[
        str,
        typer.Option(help="a Grafana service account token (role Editor or Admin)", envvar="GRAFANA_TOKEN"),
    ],
    folder: Annotated[str, typer.Option(help="folder the dashboards go into (created if missing)")] = "eams",
    message: Annotated[str, typer.Option(help="the version message Grafana keeps")] = "eams dashboards push",
    influx_url: Annotated[
        str | None,
        typer.Option(help="also create/update the InfluxDB data source (uid eams-influxdb) at this URL"),
    ] = None,
    influx_database: Annotated[
        str, typer.Option(help="InfluxQL database (the bucket's DBRP mapping on 2.x)")
    ] = "eams",
    influx_token: Annotated[
        str, typer.Option(help="InfluxDB 2.x/3.x token, or user:password for 1.8", envvar="EAMS_INFLUX_TOKEN")
    ] = "",
    api_url: Annotated[
        str | None,
        typer.Option(help="also create/update the EAMS API data source (uid eams-api) for alert panels"),
    ] = None,
    api_token: Annotated[
        str, typer.Option(help="an eams token with read_alerts (role security or operator)")
    ] = "",
    insecure: Annotated[bool, typer.Option(help="do not verify Grafana's TLS certificate")] = False,
) -> None:
    """Push every dashboard into a Grafana folder; pushing again changes nothing that is already there."""
    if api_url and not api_token:
        raise fail("--api-url needs --api-token (an eams token that may read alerts)", EXIT_USAGE)
    sources: list[dict[str, Any]] = []
    if influx_url:
        sources.append(influx_datasource(influx_url, influx_database, influx_token))
    if api_url:
        sources.append(api_datasource(api_url, api_token))
    try:
        with Grafana(url, token, verify=not insecure) as grafana:
            report = push(grafana, dashboards(), folder=folder, message=message, datasources=sources)
    except GrafanaError as exc:
        raise fail(str(exc), EXIT_UNAVAILABLE) from None
    except ValueError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    for uid, action in report.datasources.items():
        console.print(f"data source {uid}: {action}")
    console.print(f"folder {report.folder_uid}: {'created' if report.folder_created else 'exists'}")
    for uid, action in report.dashboards.items():
        console.print(f"dashboard {uid}: {action}")
