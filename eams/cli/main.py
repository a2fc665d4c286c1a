"""The `eams` command line."""

from __future__ import annotations

import typer

from eams import __version__
from eams.cli import (
    alerts,
    audit,
    collect,
    dashboards,
    db,
    demo,
    discover,
    metrics,
    seed,
    serve,
    snmp,
    ssh,
    token,
    user,
)
from eams.cli.help_format import CONTEXT_SETTINGS
from eams.cli.help_format import install as install_help_format

install_help_format()

app = typer.Typer(
    name="eams",
    help=(
        "eams: monitoring and e-Government architecture inventory for a provincial data center.\n\n"
        "Try it with `eams demo`. In production: `eams serve`, then "
        "`eams token create --role admin --name you`."
    ),
    no_args_is_help=True,
    context_settings=CONTEXT_SETTINGS,
    # Markdown joins the hard-wrapped lines of our docstrings into paragraphs.
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("serve")(serve.serve)
app.command("collect")(collect.collect)
app.command("demo")(demo.demo)
app.add_typer(db.app, name="db")
app.add_typer(token.app, name="token")
app.add_typer(user.app, name="user")
app.add_typer(audit.app, name="audit")
app.add_typer(ssh.app, name="ssh")
app.add_typer(alerts.app, name="alerts")
app.add_typer(snmp.app, name="snmp")
app.add_typer(dashboards.app, name="dashboards")
app.add_typer(seed.app, name="seed")
app.add_typer(metrics.app, name="metrics")
app.command("discover")(discover.discover)


def _version(value: bool) -> None:
    if value:
        print(f"eams {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version"
    ),
) -> None:
    """Settings come from EAMS_* environment variables or the file named by EAMS_CONFIG."""
