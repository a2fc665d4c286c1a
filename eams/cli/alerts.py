"""`eams alerts`: check rule files before deploying them, and send a test notification."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import typer
from sqlalchemy import select

from eams.alerts.engine import load_routing
from eams.alerts.models import AlertRouting
from eams.alerts.notify.base import Notification
from eams.alerts.rules.loader import RuleFileError, load_rule_files
from eams.cli.common import console, fail, open_services

app = typer.Typer(help="Alert rules and receivers.", no_args_is_help=True)


@app.command()
def check(paths: list[Path] = typer.Argument(..., help="Rule files or folders of *.yaml")) -> None:
    """Validate rule files; print what they define or the first problem found."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise fail(f"no such file or folder: {', '.join(missing)}", 2)
    try:
        specs = load_rule_files(paths)
    except RuleFileError as exc:
        raise fail(str(exc)) from None
    for spec in specs:
        console.print(f"{spec.name}: {spec.kind}, {spec.severity}, {spec.category}")
    console.print(f"{len(specs)} rule(s) are valid.")


@app.command("test-receiver")
def test_receiver(name: str = typer.Argument(..., help="A receiver from /api/v1/alert-routing")) -> None:
    """Send a test notification through a configured receiver (checks mail relay, credentials, hooks)."""
    with open_services() as services, services.db.session() as session:
        row = session.scalar(select(AlertRouting).order_by(AlertRouting.id.desc()).limit(1))
        routing = load_routing(row, services.secret_box)
    receiver = next((r for r in routing.receivers if r.name == name), None)
    if receiver is None:
        known = ", ".join(r.name for r in routing.receivers)
        raise fail(f"no receiver named {name!r} (configured: {known})", 2)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    notification = Notification(
        name,
        f"test-{now}",
        {
            "status": "firing",
            "reason": "test",
            "title": f"[TEST] eams notification test {now}",
            "title_vi": f"[THỬ] Kiểm tra gửi thông báo eams {now}",
            "alerts": [],
        },
    )

    async def send() -> None:
        channel = receiver.channel()
        try:
            await channel.send(notification)
        finally:
            await channel.close()

    try:
        asyncio.run(send())
    except Exception as exc:  # any channel failure is a sentence for the operator
        raise fail(f"receiver {name} ({receiver.kind}) failed: {exc}", 4) from None
    console.print(f"Sent a test notification through {name} ({receiver.kind}).")
