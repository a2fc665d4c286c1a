"""What every CLI command shares: settings, the database, and errors as sentences with exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import OperationalError

from eams.services import Services
from eams.settings import Settings, load_settings
from inventory import migrate

# soft_wrap: a sentence is never broken at the terminal's width (a long path once split "from empty
# to" over two lines, for people and for scripts reading the output); tables still fit the width.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_UNAVAILABLE = 4


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `message` as a sentence on stderr and return the Exit to raise."""
    # The message is plain text: `eams[demo]` must print as it is, not vanish as console markup.
    err_console.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"EAMS_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise fail(f"the configuration is not valid: {problems}", EXIT_CONFIG) from None


@contextmanager
def open_services(*, upgrade: bool = True, settings: Settings | None = None) -> Iterator[Services]:
    """Services for one CLI command, with the schema brought up to date first."""
    settings = settings or settings_or_exit()
    services = Services.from_settings(settings)
    try:
        if upgrade:
            migrate.upgrade(services.db.engine)
        yield services
    except OperationalError as exc:
        raise fail(
            f"cannot use the database at {services.db.engine.url.render_as_string()}: "
            f"{str(exc.orig).splitlines()[0]}",
            EXIT_UNAVAILABLE,
        ) from None
    finally:
        services.db.dispose()
