"""`eams token`: API tokens."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from eams.auth import TokenError, create_token
from eams.auth.audit import AuditEntry, append
from eams.auth.audit.request import entry_for
from eams.cli.common import EXIT_USAGE, console, fail, open_services
from inventory.models import ApiToken, Role

app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)


@app.command()
def create(
    role: Annotated[Role, typer.Option(help="admin, operator, security, planner (read-only) or collector")],
    name: Annotated[str, typer.Option(help="Who or what uses the token")],
    agency: Annotated[
        int | None, typer.Option(help="Limit the token to this agency id and its sub-agencies")
    ] = None,
) -> None:
    """Create a token and print it once; only its digest is stored."""
    with open_services() as services, services.db.session(actor="cli") as session:
        try:
            token, clear = create_token(session, name=name, role=role, agency_id=agency)
        except TokenError as exc:
            raise fail(str(exc), EXIT_USAGE) from None
        token_id = token.id
        append(session, _audit_entry("tokens.create", token, role=role.value))
    console.print(
        f"Token {token_id} for {name!r} with role {role.value}. Keep it now; it is not shown again:"
    )
    # Plain print so that `$(eams token create ...)`-style capture gets the bare token on its own line.
    print(clear)


@app.command("list")
def list_tokens() -> None:
    """List tokens (never their values)."""
    with open_services() as services, services.db.session() as session:
        rows = session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
        table = Table("id", "name", "role", "agency", "prefix", "created", "last used", "revoked")
        for row in rows:
            table.add_row(
                str(row.id),
                row.name,
                row.role.value,
                str(row.agency_id or ""),
                row.prefix + "…",
                f"{row.created_at:%Y-%m-%d %H:%M}",
                f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "",
                "yes" if row.revoked else "",
            )
    console.print(table)


@app.command()
def revoke(token_id: Annotated[int, typer.Argument(help="Token id from `eams token list`")]) -> None:
    """Revoke a token; requests with it get 401 from now on."""
    with open_services() as services, services.db.session(actor="cli") as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            raise fail(f"there is no token {token_id}", EXIT_USAGE)
        token.revoked = True
        append(session, _audit_entry("tokens.delete", token))
    console.print(f"Token {token_id} revoked.")


def _audit_entry(action: str, token: ApiToken, **detail: object) -> AuditEntry:
    return entry_for(
        None,
        action,
        actor="cli",
        object_type="api_token",
        object_id=token.id,
        object_repr=token.name,
        agency_id=token.agency_id,
        detail=dict(detail),
    )
