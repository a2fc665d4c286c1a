"""The service applies the audit log's retention itself (eams/components/audit.py): records
older than EAMS_AUTH_AUDIT_RETENTION_DAYS go, the chain still verifies, and the pruning is
recorded; with 0 days nothing runs."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import select

from eams.auth import audit
from eams.auth.audit import AuditEntry
from eams.auth.audit.models import AuditRecord
from eams.components.audit import PRUNE_JOB, AuditRetentionComponent, audit_retention_component
from eams.services import Services
from inventory.models.base import utcnow
from tests.support.peers import until


async def test_the_service_prunes_what_the_retention_no_longer_keeps_and_the_chain_holds(
    services: Services,
) -> None:
    with services.db.session() as session:
        for n in range(3):
            audit.append(session, AuditEntry(action="devices.update", actor=f"user:nguoi.{n}", object_id=n))
    days = services.settings.auth.audit_retention_days
    # The component's clock stands a day past the retention: every record so far is too old.
    later = utcnow() + timedelta(days=days + 1)
    component = AuditRetentionComponent(services, every_s=3600, first_after_s=0, clock=lambda: later)
    await component.start()
    try:
        await until(lambda: component.removed > 0, "the first pruning", timeout=30)
    finally:
        await component.stop()
    assert component.removed >= 3 and services.singletons.ran[PRUNE_JOB] == 1
    with services.db.session() as session:
        assert audit.verify(session).ok
        actions = session.scalars(select(AuditRecord.action).order_by(AuditRecord.id)).all()
        assert actions == ["audit.pruned"]
        pruned = session.scalar(select(AuditRecord).where(AuditRecord.action == "audit.pruned"))
        assert pruned is not None and pruned.actor == "system" and pruned.detail["retention_days"] == days


def test_a_retention_of_zero_days_keeps_everything_and_runs_nothing(services: Services) -> None:
    forever = services.settings.model_copy(
        update={"auth": services.settings.auth.model_copy(update={"audit_retention_days": 0})}
    )
    assert audit_retention_component(dataclasses.replace(services, settings=forever)) is None
    assert isinstance(audit_retention_component(services), AuditRetentionComponent)
