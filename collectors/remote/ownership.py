"""Which devices a remote collector owns: the rule shared by the service's own poller and the API.

A device with a `CollectorAssignment` belongs to the collector it names (or to the service when
that is NULL); any other device belongs to the collector registered for its site, if there is one.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_, select

from collectors.remote.models import CollectorAssignment, RemoteCollector
from inventory.models import Device


def _has_assignment() -> ColumnElement[bool]:
    return exists().where(CollectorAssignment.device_id == Device.id)


def owned_by(collector_id: int) -> ColumnElement[bool]:
    """Devices (in a query over `Device`) that `collector_id` polls."""
    assigned = exists().where(
        CollectorAssignment.device_id == Device.id, CollectorAssignment.collector_id == collector_id
    )
    by_site = exists().where(RemoteCollector.id == collector_id, RemoteCollector.site_id == Device.site_id)
    return or_(assigned, and_(~_has_assignment(), by_site))


def owned_remotely() -> ColumnElement[bool]:
    """Devices (in a query over `Device`) that some remote collector polls, not the service."""
    assigned = exists().where(
        CollectorAssignment.device_id == Device.id, CollectorAssignment.collector_id.is_not(None)
    )
    by_site = exists(select(RemoteCollector.id).where(RemoteCollector.site_id == Device.site_id))
    return or_(assigned, and_(~_has_assignment(), by_site))
