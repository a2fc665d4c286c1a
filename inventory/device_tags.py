"""The tags every sample, event and alert of a device carries, defined once for SNMP, SSH, traps,
syslog and the alert engine: `device` (its name), `role`, `site` (the site's name) and `agency`.

`agency` is the name of the agency accountable for the device: its owner, or the operating agency
when no owner is recorded. Names, not codes: a code is optional, and dashboards and messages are
read by people. Empty values are left out (InfluxDB has no empty tags).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func
from sqlalchemy.orm import aliased

from inventory.models import Agency, Device, Site


def tag_agency_id(device: Device) -> int | None:
    """The agency the `agency` tag names (owner first)."""
    return device.owner_agency_id or device.operating_agency_id


def device_tags(name: str, role: Any, site: str | None, agency: str | None) -> dict[str, str]:
    tags = {"device": name, "role": str(getattr(role, "value", role))}
    if site:
        tags["site"] = site
    if agency:
        tags["agency"] = agency
    return tags


def with_tag_names(query: Select) -> Select:
    """`query` (selecting from Device) with two more columns: the site's name and the tag agency's
    name, for `device_tags(...)`; outer joins, so devices without a site or agency stay in."""
    site = aliased(Site)
    owner = aliased(Agency)
    operator = aliased(Agency)
    return (
        query.add_columns(site.name, func.coalesce(owner.name, operator.name))
        .outerjoin(site, Device.site_id == site.id)
        .outerjoin(owner, Device.owner_agency_id == owner.id)
        .outerjoin(operator, Device.operating_agency_id == operator.id)
    )
