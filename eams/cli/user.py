"""`eams user`: people's accounts (create, list, set a password, disable, unlock)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from eams.auth.audit import append
from eams.auth.audit.request import entry_for
from eams.auth.models import User
from eams.auth.users import UserError, create_user, disable_user, find_user, set_password, unlock_user
from eams.cli.common import EXIT_USAGE, console, fail, open_services
from inventory.models import Agency, Role

app = typer.Typer(
    help="People's accounts: create, list, set passwords, disable, unlock.", no_args_is_help=True
)
CLI_ACTOR = "cli"


def _read_password(from_stdin: bool, *, confirm: bool = True) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise fail("no password on standard input (--password-stdin) / không có mật khẩu", EXIT_USAGE)
        return password
    if not sys.stdin.isatty():
        raise fail("standard input is not a terminal: pass the password with --password-stdin", EXIT_USAGE)
    return str(typer.prompt("Mật khẩu / Password", hide_input=True, confirmation_prompt=confirm))


def _audit(session: Session, action: str, user: User, **detail: object) -> None:
    append(
        session,
        entry_for(
            None,
            action,
            actor=CLI_ACTOR,
            object_type="app_user",
            object_id=user.id,
            object_repr=user.username,
            agency_id=user.agency_id,
            detail=dict(detail),
        ),
    )


@app.command()
def create(
    username: Annotated[str, typer.Argument(help="Tên đăng nhập / the sign-in name, e.g. nguyen.van.a")],
    role: Annotated[Role, typer.Option(help="admin, operator, security or planner (read-only)")],
    agency: Annotated[
        str | None, typer.Option(help="Agency code: the user sees only it and its sub-agencies")
    ] = None,
    full_name: Annotated[str, typer.Option(help="Họ và tên / full name")] = "",
    email: Annotated[str | None, typer.Option(help="E-mail")] = None,
    language: Annotated[str, typer.Option(help="vi or en")] = "vi",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin")
    ] = False,
) -> None:
    """Create an account; the password (asked for, or read with --password-stdin) must be
    changed at the first sign-in."""
    password = _read_password(password_stdin)
    with open_services() as services, services.db.session(actor=CLI_ACTOR) as session:
        agency_id = None
        if agency is not None:
            agency_id = session.scalar(select(Agency.id).where(Agency.code == agency))
            if agency_id is None:
                raise fail(f"không có đơn vị mã {agency} / there is no agency with code {agency}", EXIT_USAGE)
        try:
            user = create_user(
                session,
                services.settings.auth,
                username=username,
                role=role,
                password=password,
                full_name=full_name,
                email=email,
                agency_id=agency_id,
                language=language,
            )
        except UserError as exc:
            raise fail(str(exc), EXIT_USAGE) from None
        _audit(session, "user.create", user, role=role.value)
        console.print(f"Đã tạo tài khoản / Account created: {user.username} (id {user.id}, {role.value})")


@app.command("list")
def list_users() -> None:
    """List accounts (never their passwords)."""
    with open_services() as services, services.db.session() as session:
        rows = session.scalars(select(User).order_by(User.id)).all()
        table = Table("id", "username", "name", "role", "agency", "source", "active", "MFA", "last sign-in")
        for row in rows:
            table.add_row(
                str(row.id),
                row.username,
                row.full_name,
                row.role.value,
                str(row.agency_id or ""),
                row.source.value,
                "yes" if row.active else "no",
                "yes" if row.totp_enabled else "",
                f"{row.last_login_at:%d/%m/%Y %H:%M}" if row.last_login_at else "",
            )
    console.print(table)


def _user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise fail(f"không có tài khoản {username} / there is no account {username}", EXIT_USAGE)
    return user


@app.command("set-password")
def set_password_command(
    username: Annotated[str, typer.Argument(help="The account")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin")
    ] = False,
) -> None:
    """Set a password; the user must change it at the next sign-in, and every session ends."""
    password = _read_password(password_stdin)
    with open_services() as services, services.db.session(actor=CLI_ACTOR) as session:
        user = _user(session, username)
        try:
            set_password(session, services.settings.auth, user, password, by_admin=True)
        except UserError as exc:
            raise fail(str(exc), EXIT_USAGE) from None
        _audit(session, "user.set_password", user)
    console.print(f"Đã đặt mật khẩu / Password set for {username}; it must be changed at the next sign-in.")


@app.command()
def disable(username: Annotated[str, typer.Argument(help="The account")]) -> None:
    """Disable an account; its sessions stop working at once."""
    with open_services() as services, services.db.session(actor=CLI_ACTOR) as session:
        user = _user(session, username)
        ended = disable_user(session, user)
        _audit(session, "user.disable", user, sessions_ended=ended)
    console.print(f"Đã khóa tài khoản / Account disabled: {username} ({ended} session(s) ended)")


@app.command()
def unlock(username: Annotated[str, typer.Argument(help="The account")]) -> None:
    """Release a sign-in lockout after too many failures."""
    with open_services() as services, services.db.session(actor=CLI_ACTOR) as session:
        user = _user(session, username)
        released = unlock_user(session, user)
        _audit(session, "user.unlock", user, released=released)
    console.print(f"Đã mở khóa / Unlocked: {username}")
