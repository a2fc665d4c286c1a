"""Alerts API: /alerts (list, read with history, acknowledge), /alert-rules, /silences,
/alert-routing (receivers and routes) and /events (feed an event into the pipeline)."""

# No `from __future__ import annotations`: FastAPI reads the closures' annotations at runtime.

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import ValidationError
from sqlalchemy import ColumnElement, and_, false, select
from sqlalchemy.orm import Session

from collectors.samples import Event, Severity
from eams.alerts.dispatch.config import REDACTED, SECRET_FIELDS, RoutingConfig
from eams.alerts.engine import load_routing
from eams.alerts.inventory_checks import INVENTORY_CHECKS
from eams.alerts.models import Alert, AlertHistory, AlertRouting, AlertRule, Silence
from eams.alerts.rules.spec import RuleSpec, first_problem
from eams.alerts.schemas import (
    AckBody,
    AlertDetail,
    AlertRead,
    EventIn,
    RuleRead,
    RuleUpdate,
    SilenceCreate,
    SilenceRead,
    SilenceUpdate,
)
from eams.api.authorization import ensure_devices_in_scope
from eams.api.deps import SessionDep, principal, require
from eams.api.errors import Conflict, Forbidden, NotFound, Unprocessable
from eams.api.params import PathId
from eams.api.resources import Page, Resource, build_router, list_objects
from eams.api.routes.inventory import device_scope
from eams.auth import Permission, Principal
from eams.services import Services
from inventory.models import Device

router = APIRouter(tags=["alerts"])


def visible_categories(caller: Principal) -> list[str]:
    """The security team sees security alerts, operators operational ones; admins both."""
    categories = []
    if caller.can(Permission.ack_operational):
        categories.append("operational")
    if caller.can(Permission.ack_security):
        categories.append("security")
    return categories


def _visibility(caller: Principal) -> ColumnElement[bool]:
    categories = visible_categories(caller)
    clause: ColumnElement[bool] = Alert.category.in_(categories) if categories else false()
    if caller.agency_ids is not None:  # a token scoped to agencies sees their devices' alerts
        clause = and_(clause, Alert.device_id.in_(select(Device.id).where(device_scope(caller.agency_ids))))
    return clause


# --- alerts ------------------------------------------------------------------------------------

ALERTS = Resource(
    "alerts",
    Alert,
    AckBody,
    AckBody,
    AlertRead,
    "alert",
    "alerts",
    read_permission=Permission.read_alerts,
    exclude_filters=frozenset({"labels"}),
)


@router.get(
    "/alerts",
    response_model=Page[AlertRead],
    summary="List alerts",
    description=(
        "Filters (with __n, __ic, __gte, __lte ... as elsewhere): state, severity, category, rule_name, "
        "device_id, fingerprint, silenced, suppressed, flapping, acked_by__isnull, started_at__gte ... "
        "Security tokens see security alerts, operators operational ones."
    ),
)
def list_alerts(
    request: Request,
    session: SessionDep,
    caller: Principal = Depends(require(Permission.read_alerts)),
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=2**31),
    ordering: str | None = Query(None, max_length=200),
) -> Any:
    params = list(request.query_params.multi_items())
    if not any(name == "ordering" for name, _ in params):
        params.append(("ordering", "-id"))
    count, rows, lim, off = list_objects(session, ALERTS, caller, params, [_visibility(caller)])
    results = [AlertRead.model_validate(row).model_dump(mode="json") for row in rows]
    return {"count": count, "limit": lim, "offset": off, "results": results}


def _load_alert(session: Session, caller: Principal, alert_id: PathId) -> Alert:
    alert = session.scalar(select(Alert).where(Alert.id == alert_id, _visibility(caller)))
    if alert is None:
        raise NotFound(f"alert {alert_id} not found")
    return alert


@router.get("/alerts/{alert_id}", response_model=AlertDetail, summary="Read one alert with its history")
def read_alert(
    alert_id: PathId, session: SessionDep, caller: Principal = Depends(require(Permission.read_alerts))
) -> Any:
    alert = _load_alert(session, caller, alert_id)
    history = session.scalars(
        select(AlertHistory).where(AlertHistory.alert_id == alert_id).order_by(AlertHistory.id)
    )
    body = AlertRead.model_validate(alert).model_dump(mode="json")
    body["history"] = [
        {"at": h.at, "action": h.action, "actor": h.actor, "detail": h.detail} for h in history
    ]
    return body


@router.post("/alerts/{alert_id}/ack", response_model=AlertRead, summary="Acknowledge a firing alert")
def acknowledge(
    request: Request,
    alert_id: PathId,
    session: SessionDep,
    body: AckBody = Body(...),
    caller: Principal = Depends(require(Permission.read_alerts)),
) -> Any:
    alert = _load_alert(session, caller, alert_id)
    needed = Permission.ack_security if alert.category == "security" else Permission.ack_operational
    if not caller.can(needed):
        raise Forbidden(f"role {caller.role.value!r} may not acknowledge {alert.category} alerts")
    if alert.state != "firing":
        raise Conflict(f"alert {alert_id} is {alert.state}; only firing alerts can be acknowledged")
    if alert.acked_by is not None:
        raise Conflict(f"alert {alert_id} was already acknowledged by {alert.acked_by}")
    now = datetime.now(UTC)
    alert.acked_by = caller.name
    alert.ack_comment = body.comment
    alert.acked_at = now
    session.add(
        AlertHistory(
            alert_id=alert.id, at=now, action="acknowledged", actor=caller.actor, detail=body.comment
        )
    )
    session.flush()
    # The engine is not told from here (this is a request thread; its state is its worker's):
    # it reads acknowledgements from the history on its next tick, as it does another process's.
    return AlertRead.model_validate(alert).model_dump(mode="json")


# --- rules -------------------------------------------------------------------------------------


def _rule_before_save(
    session: Session, obj: AlertRule, values: dict[str, Any], caller: Principal, request: Request
) -> None:
    current = RuleSpec.model_validate(obj.spec).model_dump() if obj.id is not None else {}
    sent = {k: v for k, v in values.items() if not (obj.id is not None and v is None)}
    try:
        spec = RuleSpec.model_validate(current | sent)
    except ValidationError as exc:
        where, sentence = first_problem(exc)
        raise Unprocessable(sentence, field=where) from None
    if spec.kind == "inventory" and spec.check not in INVENTORY_CHECKS:
        known = ", ".join(sorted(INVENTORY_CHECKS))
        raise Unprocessable(f"check: unknown inventory check {spec.check!r} (known: {known})", field="check")
    values.clear()
    values.update(
        name=spec.name,
        kind=spec.kind,
        category=spec.category,
        severity=spec.severity,
        enabled=spec.enabled,
        spec=spec.dump(),
        origin=obj.origin if obj.id is not None else "api",
    )


RULES = Resource(
    "alert-rules",
    AlertRule,
    RuleSpec,
    RuleUpdate,
    RuleRead,
    "alert rule",
    "alerts",
    before_save=_rule_before_save,
    read_permission=Permission.read_alerts,
    write_permission=Permission.manage_alerting,
    exclude_filters=frozenset({"spec"}),
)


# --- silences ----------------------------------------------------------------------------------


def _silence_before_save(
    session: Session, obj: Silence, values: dict[str, Any], caller: Principal, request: Request
) -> None:
    if obj.id is None:
        values["created_by"] = caller.actor
    starts = values.get("starts_at", obj.starts_at)
    ends = values.get("ends_at", obj.ends_at)
    if starts is not None and ends is not None and ends <= starts:
        raise Unprocessable("ends_at must be after starts_at", field="ends_at")


SILENCES = Resource(
    "silences",
    Silence,
    SilenceCreate,
    SilenceUpdate,
    SilenceRead,
    "silence",
    "alerts",
    before_save=_silence_before_save,
    read_permission=Permission.read_alerts,
    write_permission=Permission.manage_alerting,
    exclude_filters=frozenset({"matchers", "recurrence"}),
)


# --- routing -----------------------------------------------------------------------------------


@router.get("/alert-routing", summary="Receivers and the routing tree (secrets shown as ********)")
def get_routing(
    request: Request, session: SessionDep, caller: Principal = Depends(require(Permission.read_alerts))
) -> Any:
    row = session.scalar(select(AlertRouting).order_by(AlertRouting.id.desc()).limit(1))
    return load_routing(row, request.app.state.services.secret_box).redacted()


@router.put("/alert-routing", summary="Replace receivers and routes; send ******** to keep a stored secret")
def put_routing(
    request: Request,
    session: SessionDep,
    config: RoutingConfig = Body(...),
    caller: Principal = Depends(require(Permission.manage_alerting)),
) -> Any:
    if caller.agency_ids is not None:
        # One routing tree serves the whole province: an agency's token must not redirect it.
        raise Forbidden("a token scoped to an agency may not change the province-wide alert routing")
    box = request.app.state.services.secret_box
    row = session.scalar(select(AlertRouting).order_by(AlertRouting.id.desc()).limit(1))
    stored = box.open(row.secrets_encrypted) if row is not None else {}
    document, secrets = config.split_secrets()
    before = {r["name"]: r for r in (row.config.get("receivers", []) if row is not None else [])}
    # "********" keeps a stored secret only for a receiver whose destination did not change;
    # otherwise a new URL or host could collect the old password or HMAC secret.
    unchanged = {r["name"] for r in document["receivers"] if before.get(r["name"]) == r}
    kept = {k: v for k, v in stored.items() if k.split(".", 1)[0] in unchanged}
    _refuse_kept_secrets_of_moved_receivers(config, unchanged)
    merged = kept | secrets
    if row is None:
        row = AlertRouting(config=document)
        session.add(row)
    row.config = document
    row.secrets_encrypted = box.seal(merged)
    row.updated_at = datetime.now(UTC)
    row.updated_by = caller.actor
    session.flush()
    return RoutingConfig.from_stored(document, merged).redacted()


def _refuse_kept_secrets_of_moved_receivers(config: RoutingConfig, unchanged: set[str]) -> None:
    sent = config.model_dump(mode="json", by_alias=True, exclude_none=True)
    for receiver in sent["receivers"]:
        if receiver["name"] in unchanged:
            continue
        for kind, fields in SECRET_FIELDS.items():
            channel = receiver.get(kind) or {}
            for name in fields:
                if channel.get(name) == REDACTED:
                    field = f"receivers.{receiver['name']}.{kind}.{name}"
                    raise Unprocessable(
                        f"{field}: this receiver is new or its destination changed; "
                        f"send the secret itself, not {REDACTED}",
                        field=field,
                    )


# --- events ------------------------------------------------------------------------------------


@router.post("/events", status_code=202, summary="Feed an event (trap, config change ...) into the pipeline")
async def post_event(
    request: Request,
    event: EventIn = Body(...),
    caller: Principal = Depends(principal),
) -> Any:
    if not (caller.can(Permission.collect) or caller.can(Permission.manage_alerting)):
        raise Forbidden(f"role {caller.role.value!r} may not post events")
    if caller.agency_ids is not None:
        await asyncio.to_thread(_ensure_device_in_scope, request.app.state.services, caller, event.device_id)
    source = event.source or (request.client.host if request.client else "api")
    published = Event(
        kind=event.kind,
        name=event.name,
        severity=Severity(event.severity),
        message=event.message,
        source=source,
        device_id=event.device_id,
        labels=event.labels,
        data=event.data,
    )
    await request.app.state.services.pipeline.publish_event(published)
    return {"accepted": True}


def _ensure_device_in_scope(services: Services, caller: Principal, device_id: int | None) -> None:
    with services.db.session(caller.actor) as session:
        ensure_devices_in_scope(session, caller, [device_id])


def alerts_router() -> APIRouter:
    combined = APIRouter()
    combined.include_router(router)
    combined.include_router(build_router(RULES))
    combined.include_router(build_router(SILENCES))
    return combined
