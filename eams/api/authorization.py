"""Who may write what: one rule for every verb (create, update, delete) of every resource.

An unscoped caller (a role without an agency) is judged only by its role. A caller scoped to
agencies may write only rows inside their scope (`inventory.scoping`): never shared records
(sites, manufacturers, plans ...), never a row that would end up outside the scope, and never a
delete whose cascades (ON DELETE CASCADE / SET NULL, and the link rows of many-to-many fields)
would remove or change another agency's rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Table, or_, select
from sqlalchemy.orm import Session

from eams.api.errors import Forbidden, NotFound, Unprocessable
from eams.auth import Principal
from inventory.models import CredentialsProfile, Device, Role
from inventory.models.base import Base
from inventory.scoping import ScopeFn, device_scope, row_scope


class Verb(StrEnum):
    create = "create"
    update = "update"
    delete = "delete"


def authorize_write(
    session: Session,
    table: Table,
    label: str,
    scope: ScopeFn | None,
    caller: Principal,
    obj: Any,
    verb: Verb,
) -> None:
    """Raise Forbidden unless `caller` may apply `verb` to `obj` (a row of `table`).

    Create and update call this after the row is flushed (its new values decide); delete calls it
    before the row goes."""
    agency_ids = caller.agency_ids
    if agency_ids is None:
        return
    if scope is None:
        raise Forbidden(f"a token scoped to an agency may not {verb.value} shared {label} records")
    session.flush()
    if not _in_scope(session, table, scope, agency_ids, [obj.id]):
        if verb is Verb.delete:
            raise Forbidden(f"this {label} is outside the agencies your token may change")
        raise Forbidden(f"this {label} would fall outside the agencies your token may change")
    if verb is Verb.delete:
        _check_cascades(session, table, [obj.id], agency_ids, label, seen=set())


def _in_scope(
    session: Session, table: Table, scope: ScopeFn, agency_ids: frozenset[int], ids: list[int]
) -> bool:
    wanted = set(ids)
    if not wanted:
        return True
    visible = set(session.scalars(select(table.c.id).where(table.c.id.in_(wanted), scope(agency_ids))))
    return visible == wanted


def _check_cascades(
    session: Session,
    table: Table,
    ids: list[int],
    agency_ids: frozenset[int],
    label: str,
    seen: set[str],
) -> None:
    """Follow every foreign key that a delete of `ids` would cascade or null, recursively."""
    seen = seen | {table.name}
    for dependent in Base.metadata.sorted_tables:
        for fk in dependent.foreign_keys:
            if fk.column.table is not table or fk.ondelete not in ("CASCADE", "SET NULL"):
                continue
            if "id" not in dependent.c:
                _check_link_rows(session, dependent, fk.parent, ids, agency_ids, label)
                continue
            reached = list(session.scalars(select(dependent.c.id).where(fk.parent.in_(ids))))
            if not reached:
                continue
            scope = row_scope(dependent.name)
            if scope is not None and not _in_scope(session, dependent, scope, agency_ids, reached):
                raise Forbidden(
                    f"deleting this {label} would change {dependent.name.replace('_', ' ')} rows "
                    "of agencies your token may not change"
                )
            if fk.ondelete == "CASCADE" and dependent.name not in seen:
                _check_cascades(session, dependent, reached, agency_ids, label, seen)


def _check_link_rows(
    session: Session, link: Table, column: Any, ids: list[int], agency_ids: frozenset[int], label: str
) -> None:
    """A many-to-many link row belongs to both ends: the other end must be in scope too."""
    for other in link.foreign_keys:
        if other.parent is column:
            continue
        scope = row_scope(other.column.table.name)
        if scope is None:
            continue
        ends = list(session.scalars(select(other.parent).where(column.in_(ids)).distinct()))
        if not _in_scope(session, other.column.table, scope, agency_ids, ends):
            raise Forbidden(
                f"deleting this {label} would change {other.column.table.name.replace('_', ' ')} rows "
                "of agencies your token may not change"
            )


def ensure_devices_in_scope(
    session: Session, caller: Principal, device_ids: Iterable[int | None], *, require_device: bool = True
) -> None:
    """What a scoped caller feeds in (events, samples) must be about its agencies' devices: an
    event about another agency's device would raise an alert there. Another agency's device, like
    one that does not exist, is "not found"; an event about no device at all would reach every
    agency, so a scoped caller must name one (`require_device`)."""
    agency_ids = caller.agency_ids
    if agency_ids is None:
        return
    named = list(device_ids)
    if require_device and any(device_id is None for device_id in named):
        raise Forbidden(
            "device_id: a token scoped to an agency must name one of its agencies' devices", field="device_id"
        )
    wanted = {device_id for device_id in named if device_id is not None}
    hidden = sorted(
        wanted
        - set(session.scalars(select(Device.id).where(Device.id.in_(wanted), device_scope(agency_ids))))
    )
    if hidden:
        raise NotFound(f"device_id: device {hidden[0]} not found", field="device_id")


def usable_profiles(caller: Principal) -> ColumnElement[bool] | None:
    """The credentials profiles `caller` may bind to a device or sweep with (None: every one).
    Admins use any; a shared profile (no owner agency) is for admins only; a scoped caller uses
    its agencies' profiles."""
    if caller.role is Role.admin and caller.agency_ids is None:
        return None
    if caller.agency_ids is not None:
        owned = CredentialsProfile.owner_agency_id.in_(caller.agency_ids)
        return (
            or_(owned, CredentialsProfile.owner_agency_id.is_(None)) if caller.role is Role.admin else owned
        )
    return CredentialsProfile.owner_agency_id.is_not(None)


def ensure_profile_usable(session: Session, caller: Principal, profile_id: int) -> None:
    """Binding a profile to a device: refused unless `caller` may use it (`usable_profiles`)."""
    clause = usable_profiles(caller)
    if clause is None:
        return
    profile = session.get(CredentialsProfile, profile_id)
    if profile is None:
        return  # the reference check answers that one
    usable = session.scalar(select(CredentialsProfile.id).where(CredentialsProfile.id == profile_id, clause))
    if usable is not None:
        return
    if profile.owner_agency_id is None:
        raise Forbidden(
            "credentials_id: only an admin may bind a shared credentials profile", field="credentials_id"
        )
    if caller.agency_ids is not None and profile.owner_agency_id not in caller.agency_ids:
        # Another agency's profile is hidden from this caller: answered as if it did not exist.
        raise Unprocessable(
            f"credentials_id: credentials profile {profile_id} does not exist", field="credentials_id"
        )
    raise Forbidden("credentials_id: this credentials profile is not yours to bind", field="credentials_id")
