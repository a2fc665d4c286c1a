"""`eams audit`: check the audit log's hash chain, prune it by retention, export it as CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from eams.auth import audit
from eams.auth.audit.models import AuditRecord
from eams.auth.audit.query import to_csv
from eams.cli.common import console, fail, open_services

app = typer.Typer(help="The audit log: verify its chain, prune it, export it.", no_args_is_help=True)
EXIT_TAMPERED = 5


@app.command()
def verify() -> None:
    """Recompute every record's hash from the chain's anchor to its head; exit 5 at the first
    record that was changed, inserted or removed."""
    with open_services() as services, services.db.session() as session:
        report = audit.verify(session)
    if not report.ok:
        raise fail(
            f"nhật ký kiểm toán bị sửa đổi ở bản ghi {report.bad_id} / the audit log was tampered with at "
            f"record {report.bad_id}: {report.problem} ({report.checked} records before it are intact)",
            EXIT_TAMPERED,
        )
    console.print(f"Chuỗi băm hợp lệ / The chain is intact: {report.checked} records checked.")


@app.command()
def prune(
    days: Annotated[
        int | None, typer.Option(min=1, help="Keep this many days (default: EAMS_AUTH_AUDIT_RETENTION_DAYS)")
    ] = None,
) -> None:
    """Remove records older than the retention; the chain is re-anchored and the pruning recorded."""
    with open_services() as services, services.db.session(actor="cli") as session:
        keep = days if days is not None else services.settings.auth.audit_retention_days
        removed = audit.prune(session, keep)
    console.print(f"Đã xóa / Removed {removed} record(s) older than {keep} days.")


@app.command()
def export(output: Annotated[Path, typer.Argument(help="CSV file to write (UTF-8 with BOM)")]) -> None:
    """Write the whole audit log as CSV."""
    with open_services() as services, services.db.session() as session:
        rows = session.scalars(select(AuditRecord).order_by(AuditRecord.id)).all()
        try:
            output.write_text("".join(to_csv(rows)), encoding="utf-8")
        except OSError as exc:
            raise fail(f"cannot write {output}: {exc.strerror}") from None
    console.print(f"{len(rows)} record(s) written to {output}")
