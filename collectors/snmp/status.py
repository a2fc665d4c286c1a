"""Keeps the latest poll status of each inventory device in `device_poll_status` for the API."""

from __future__ import annotations

from sqlalchemy import select

from collectors.snmp.poller import DeviceStatus
from inventory.db import Database
from inventory.models import Device
from inventory.models.polling import DevicePollStatus


def save_status(db: Database, status: DeviceStatus, missed_polls: int = 0) -> None:
    """Replace the device's row; a device deleted meanwhile is skipped, not an error."""
    if status.device_id is None:
        return
    with db.session() as session:
        if session.get(Device, status.device_id) is None:
            return
        row = session.get(DevicePollStatus, status.device_id) or DevicePollStatus(device_id=status.device_id)
        row.polled_at = status.polled_at
        row.reachable = status.reachable
        row.duration_s = status.duration_s
        row.varbinds = status.varbinds
        row.errors = status.errors
        row.timeouts = status.timeouts
        row.missed_polls = missed_polls
        row.profile = status.profile
        row.message = (status.message or "")[:1000] or None
        session.add(row)


def load_status(db: Database, device_id: int) -> DevicePollStatus | None:
    with db.session() as session:
        row = session.scalars(select(DevicePollStatus).where(DevicePollStatus.device_id == device_id)).first()
        if row is not None:
            session.expunge(row)
        return row
