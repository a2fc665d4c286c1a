"""`eams db`: schema migrations."""

from __future__ import annotations

import typer

from eams.cli.common import console, open_services
from inventory import migrate

app = typer.Typer(help="Create or upgrade the database schema.", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Apply every migration up to REVISION (default: the newest)."""
    with open_services(upgrade=False) as services:
        before = migrate.current_revision(services.db.engine)
        migrate.upgrade(services.db.engine, revision)
        after = migrate.current_revision(services.db.engine)
        url = services.db.engine.url.render_as_string()
    if before == after:
        console.print(f"The database at {url} is up to date (revision {after}).")
    else:
        console.print(f"Upgraded {url} from {before or 'empty'} to {after}.")


@app.command()
def current() -> None:
    """Show the schema revision of the database and the newest one this version knows."""
    with open_services(upgrade=False) as services:
        console.print(f"database: {migrate.current_revision(services.db.engine) or 'empty'}")
    console.print(f"newest:   {migrate.head_revision()}")
