"""Polls one device: its profile's scalars and tables become Samples, plus a `collector` status.

Per device the poller keeps a little state: the profile it chose, an open session, the index
labels (ifName, hrStorageDescr ...) walked on a slower interval than the counters, the last
sysUpTime (to see restarts) and the previous counter values (for rates). A row index that was
not in the label cache means the device re-indexed: the labels are walked again at once.

Every index refresh (first poll, every `index_interval_s`, after a restart) also plans the poll:
which fallback columns stand in for empty ones (32-bit ifInOctets without ifXTable) and which
probed measurements (HOST-RESOURCES, ENTITY-SENSOR on a device whose profile does not include them)
the agent does not answer, so they are not asked for again until the next refresh.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from collectors.samples import FieldValue, Sample
from collectors.snmp.engine import (
    COUNTER_WIDTH,
    Credentials,
    Endpoint,
    Engine,
    Session,
    SnmpAuthError,
    SnmpError,
    SnmpTimeout,
    VarBind,
)
from collectors.snmp.profile import (
    Choice,
    DerivedPercent,
    FallbackSpec,
    FieldSpec,
    MetricSpec,
    Profile,
    ProfileSet,
    TagSpec,
)
from collectors.snmp.rates import CounterRates

log = logging.getLogger(__name__)

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
GET_CHUNK = 30  # varbinds per GET: well below any agent's PDU size limit
STATUS_MEASUREMENT = "collector"


@dataclass(frozen=True, slots=True)
class PollTarget:
    """One device to poll, with the tags every sample of it carries (device, role, site, agency)."""

    name: str
    endpoint: Endpoint
    credentials: Credentials
    device_id: int | None = None
    tags: dict[str, str] = field(default_factory=dict)
    profile: str = "auto"  # or a profile name
    interval_s: float = 60.0


@dataclass(slots=True)
class DeviceStatus:
    device: str
    device_id: int | None
    polled_at: datetime
    reachable: bool
    duration_s: float
    varbinds: int
    errors: int
    timeouts: int
    profile: str | None
    message: str | None = None
    # Requests the agent refused for their SNMPv3 credentials (unknown user, wrong key): the agent
    # is there, so an alert can say what is wrong instead of "does not answer".
    auth_failures: int = 0

    def sample(self, tags: dict[str, str], time_ns: int) -> Sample:
        fields: dict[str, FieldValue] = {
            "reachable": self.reachable,
            "duration_s": float(self.duration_s),
            "varbinds": int(self.varbinds),
            "errors": int(self.errors),
            "timeouts": int(self.timeouts),
            "auth_failures": int(self.auth_failures),
        }
        return Sample(
            STATUS_MEASUREMENT,
            {**tags, "component": "snmp"},
            fields,
            time_ns=time_ns,
            device_id=self.device_id,
        )


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """What the agent says it is (sysName is read at each index refresh, the rest every poll)."""

    sys_name: str | None
    sys_descr: str | None
    sys_object_id: str | None


@dataclass(slots=True)
class PollResult:
    samples: list[Sample]
    status: DeviceStatus
    identity: DeviceIdentity | None = None
    choice: Choice | None = None  # the profile chosen, and why
    fallbacks: dict[str, str] = field(default_factory=dict)  # column -> fallback column read instead
    absent: frozenset[str] = frozenset()  # probed measurements the agent does not answer


@dataclass
class _DeviceState:
    session_key: tuple[Endpoint, Credentials] | None = None
    session: Session | None = None
    profile: Profile | None = None
    labels: dict[str, dict[str, VarBind]] = field(default_factory=dict)  # label OID -> index -> value
    labels_at: float = 0.0
    uptime: int | None = None
    reindexed: int = 0
    choice: Choice | None = None
    sys_name: str | None = None
    # The poll plan, remade at each index refresh (see the module's docstring).
    planned_at: float | None = None
    absent: frozenset[str] = frozenset()
    substitutes: dict[str, FallbackSpec] = field(default_factory=dict)  # column -> fallback read
    scalar_oids: list[str] = field(default_factory=list)
    column_oids: list[str] = field(default_factory=list)  # what is walked: fallbacks substituted
    label_oids: list[str] = field(default_factory=list)


class Poller:
    def __init__(
        self,
        engine: Engine,
        profiles: ProfileSet,
        *,
        index_interval_s: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.clock = clock  # for rates and the label cache's age
        self.profiles = profiles
        self.index_interval_s = index_interval_s
        self.rates = CounterRates()
        self._states: dict[str, _DeviceState] = {}

    def state_of(self, target: PollTarget) -> _DeviceState:
        return self._states.setdefault(target.name, _DeviceState())

    async def forget(self, name: str) -> None:
        state = self._states.pop(name, None)
        if state and state.session:
            await state.session.close()
        self.rates.forget(name)

    async def close(self) -> None:
        for name in list(self._states):
            await self.forget(name)
        await self.engine.close()

    async def poll(self, target: PollTarget) -> PollResult:
        started = time.monotonic()
        time_ns = time.time_ns()
        state = self.state_of(target)
        counted = _Counting()
        message: str | None = None
        samples: list[Sample] = []
        reachable = False
        identity: DeviceIdentity | None = None
        auth_failures = 0
        try:
            session = await self._session(state, target)
            counted.session = session
            samples, identity = await self._poll_profile(target, state, counted, time_ns)
            reachable = True
        except SnmpTimeout as exc:
            counted.timeouts += 1
            message = str(exc)
            await self._drop_session(state)
        except SnmpAuthError as exc:
            counted.errors += 1
            auth_failures = 1
            message = str(exc)
            await self._drop_session(state)
        except SnmpError as exc:
            counted.errors += 1
            message = str(exc)
            reachable = counted.varbinds > 0
        except Exception as exc:  # not the agent's doing (a profile, the engine, a bug): say so
            log.exception("polling %s failed for a reason other than SNMP", target.name)
            counted.errors += 1
            message = f"poll failed ({type(exc).__name__}): {exc}"[:500]
            reachable = counted.varbinds > 0
            await self._drop_session(state)
        status = DeviceStatus(
            device=target.name,
            device_id=target.device_id,
            polled_at=datetime.fromtimestamp(time_ns / 1e9, UTC),
            reachable=reachable,
            duration_s=round(time.monotonic() - started, 6),
            varbinds=counted.varbinds,
            errors=counted.errors,
            timeouts=counted.timeouts,
            profile=state.profile.name if state.profile else None,
            message=message,
            auth_failures=auth_failures,
        )
        samples.append(status.sample(target.tags | {"device": target.name}, time_ns))
        return PollResult(
            samples,
            status,
            identity,
            state.choice,
            {column: spec.oid for column, spec in state.substitutes.items()},
            state.absent,
        )

    async def _session(self, state: _DeviceState, target: PollTarget) -> Session:
        key = (target.endpoint, target.credentials)
        if state.session is None or state.session_key != key:
            await self._drop_session(state)
            state.session = await self.engine.open(target.endpoint, target.credentials)
            state.session_key = key
        return state.session

    async def _drop_session(self, state: _DeviceState) -> None:
        if state.session is not None:
            try:
                await state.session.close()
            finally:
                state.session = None
                state.session_key = None

    async def _poll_profile(
        self, target: PollTarget, state: _DeviceState, counted: _Counting, time_ns: int
    ) -> tuple[list[Sample], DeviceIdentity]:
        answer = await counted.get([SYS_OBJECT_ID, SYS_DESCR, SYS_UPTIME])
        object_id, descr, _uptime = (_text(vb) for vb in answer)
        choice = self._choose(target, object_id, descr)
        profile = self.profiles[choice.profile]
        state.choice = choice
        if state.profile is None or state.profile.name != profile.name:
            state.profile = profile
            state.labels_at = 0.0
            state.planned_at = None
        uptime_ticks = answer[2].value if isinstance(answer[2].value, int) else None
        restarted = uptime_ticks is not None and state.uptime is not None and uptime_ticks < state.uptime
        state.uptime = uptime_ticks

        planning = (
            state.planned_at is None or restarted or self.clock() - state.planned_at > self.index_interval_s
        )
        if planning:
            scalars, columns = await self._plan(state, profile, counted)
        else:
            scalars = await self._get_scalars(state.scalar_oids, counted)
            columns = await self._walk_columns(state, counted)

        stale = self.clock() - state.labels_at > self.index_interval_s
        if state.label_oids and (stale or restarted or not state.labels or planning):
            await self._walk_labels(state, profile, counted)
        elif state.label_oids and self._unknown_rows(profile, state, columns):
            log.info("%s re-indexed: a row index is not in the label cache", target.name)
            state.reindexed += 1
            await self._walk_labels(state, profile, counted)

        base_tags = target.tags | {"device": target.name}
        now = self.clock()
        samples: list[Sample] = []
        for metric in profile.metrics:
            if metric.measurement in state.absent:
                continue
            if metric.is_table:
                samples.extend(
                    self._table_samples(target, metric, columns, state, base_tags, time_ns, now, restarted)
                )
            else:
                sample = self._scalar_sample(target, metric, scalars, base_tags, time_ns, now, restarted)
                if sample is not None:
                    samples.append(sample)
        return samples, DeviceIdentity(state.sys_name, descr, object_id)

    def _choose(self, target: PollTarget, object_id: str | None, descr: str | None) -> Choice:
        if target.profile != "auto":
            return Choice(self.profiles[target.profile].name, "configured", None)
        return self.profiles.choice(object_id, descr)

    async def _get_scalars(self, oids: list[str], counted: _Counting) -> dict[str, VarBind]:
        scalars: dict[str, VarBind] = {}
        for start in range(0, len(oids), GET_CHUNK):
            for varbind in await counted.get(oids[start : start + GET_CHUNK]):
                scalars[varbind.oid] = varbind
        return scalars

    async def _walk_columns(self, state: _DeviceState, counted: _Counting) -> dict[str, list[VarBind]]:
        """The planned walk, with fallback columns' answers filed under the columns they stand in
        for (their OIDs rewritten, their numbers scaled) so the rest of the poll sees one column."""
        if not state.column_oids:
            return {}
        walked = await counted.walk(state.column_oids)
        for column, spec in state.substitutes.items():
            walked[column] = _substituted(column, spec, walked.pop(spec.oid, []))
        return walked

    async def _plan(
        self, state: _DeviceState, profile: Profile, counted: _Counting
    ) -> tuple[dict[str, VarBind], dict[str, list[VarBind]]]:
        """Read everything the profile names once, then decide what later polls read: fallback
        columns for empty ones, and no probed measurement that the agent does not answer."""
        name = await counted.get([SYS_NAME])
        state.sys_name = _text(name[0]) if name else None
        scalars = await self._get_scalars(profile.scalar_oids, counted)
        columns = await counted.walk(profile.column_oids) if profile.column_oids else {}
        wanted = {
            column: spec for column, spec in profile.fallback_columns.items() if not columns.get(column)
        }
        substitutes: dict[str, FallbackSpec] = {}
        if wanted:
            walked = await counted.walk([spec.oid for spec in wanted.values()])
            for column, spec in wanted.items():
                if walked.get(spec.oid):
                    substitutes[column] = spec
                    columns[column] = _substituted(column, spec, walked[spec.oid])
        absent: set[str] = set()
        for metric in profile.metrics:
            if metric.measurement not in profile.probed:
                continue
            if metric.is_table:
                answered = any(columns.get(spec.oid) for spec in metric.fields)
            else:
                answered = any(
                    (vb := scalars.get(spec.oid)) is not None and vb.exists for spec in metric.fields
                )
            if not answered:
                absent.add(metric.measurement)
        state.absent = frozenset(absent)
        state.substitutes = substitutes
        state.scalar_oids = profile.scalar_oids_without(state.absent)
        state.column_oids = [
            substitutes[oid].oid if oid in substitutes else oid
            for oid in profile.column_oids_without(state.absent)
        ]
        state.label_oids = profile.label_oids_without(state.absent)
        state.planned_at = self.clock()
        return scalars, columns

    async def _walk_labels(self, state: _DeviceState, profile: Profile, counted: _Counting) -> None:
        walked = await counted.walk(state.label_oids)
        state.labels = {
            column: {vb.oid[len(column) + 1 :]: vb for vb in varbinds} for column, varbinds in walked.items()
        }
        state.labels_at = self.clock()

    def _unknown_rows(self, profile: Profile, state: _DeviceState, columns: dict[str, list[VarBind]]) -> bool:
        for metric in profile.metrics:
            if not metric.is_table or not metric.tags or metric.measurement in state.absent:
                continue
            known = state.labels.get(metric.tags[0].oid, {})
            for index in _row_indexes(metric, columns):
                if index not in known:
                    return True
        return False

    def _scalar_sample(
        self,
        target: PollTarget,
        metric: MetricSpec,
        scalars: dict[str, VarBind],
        tags: dict[str, str],
        time_ns: int,
        now: float,
        restarted: bool,
    ) -> Sample | None:
        fields: dict[str, FieldValue] = {}
        counters: set[str] = set()
        rates: dict[str, float] = {}
        for spec in metric.fields:
            varbind = scalars.get(spec.oid)
            if varbind is None:
                continue
            value = convert(spec, varbind)
            if value is None:
                continue
            fields[spec.field] = value
            if spec.counter and isinstance(value, int):
                counters.add(spec.field)
                rate = self.rates.rate(
                    (target.name, metric.measurement, "", spec.field),
                    value,
                    now,
                    COUNTER_WIDTH.get(varbind.kind, 64),
                    restarted,
                )
                if rate is not None:
                    rates[spec.field] = rate
        if not fields:
            return None
        if metric.derived:
            _add_derived(metric.derived, fields, tags)
        return Sample(
            metric.measurement,
            dict(tags),
            fields,
            time_ns=time_ns,
            device_id=target.device_id,
            counters=frozenset(counters),
            rates=rates,
        )

    def _table_samples(
        self,
        target: PollTarget,
        metric: MetricSpec,
        columns: dict[str, list[VarBind]],
        state: _DeviceState,
        tags: dict[str, str],
        time_ns: int,
        now: float,
        restarted: bool,
    ) -> Iterable[Sample]:
        rows: dict[str, dict[str, VarBind]] = {}
        for spec in metric.fields:
            prefix_length = len(spec.oid) + 1
            for varbind in columns.get(spec.oid, ()):
                rows.setdefault(varbind.oid[prefix_length:], {})[spec.oid] = varbind
        for index, row in rows.items():
            fields: dict[str, FieldValue] = {}
            counters: set[str] = set()
            rates: dict[str, float] = {}
            for spec in metric.fields:
                cell = row.get(spec.oid)
                value = convert(spec, cell) if cell is not None else None
                if value is None or cell is None:
                    continue
                fields[spec.field] = value
                if spec.counter and isinstance(value, int):
                    counters.add(spec.field)
                    rate = self.rates.rate(
                        (target.name, metric.measurement, index, spec.field),
                        value,
                        now,
                        COUNTER_WIDTH.get(cell.kind, 64),
                        restarted,
                    )
                    if rate is not None:
                        rates[spec.field] = rate
            if not fields:
                continue
            row_tags = dict(tags)
            if metric.index_tag:
                row_tags[metric.index_tag] = index
            for tag in metric.tags:
                label = state.labels.get(tag.oid, {}).get(index)
                text = tag_text(tag, label) if label is not None else None
                if text:
                    row_tags[tag.tag] = text
            for tag in metric.tags:
                if tag.fallback_tag and tag.tag not in row_tags and tag.fallback_tag in row_tags:
                    row_tags[tag.tag] = row_tags[tag.fallback_tag]  # ifName missing: ifDescr
            if metric.derived:
                _add_derived(metric.derived, fields, row_tags)
            yield Sample(
                metric.measurement,
                row_tags,
                fields,
                time_ns=time_ns,
                device_id=target.device_id,
                counters=frozenset(counters),
                rates=rates,
            )


def _substituted(column: str, spec: FallbackSpec, varbinds: list[VarBind]) -> list[VarBind]:
    """A fallback column's varbinds under the column they stand in for, numbers scaled; the SNMP
    type stays (a Counter32 keeps its 32-bit wrap rule in the rates)."""
    prefix = len(spec.oid)
    out: list[VarBind] = []
    for varbind in varbinds:
        value = varbind.value
        if spec.scale is not None and isinstance(value, int):
            value = round(value * spec.scale)
        out.append(replace(varbind, oid=column + varbind.oid[prefix:], value=value))
    return out


def _add_derived(derived: list[DerivedPercent], fields: dict[str, FieldValue], tags: dict[str, str]) -> None:
    """Adds each derived percentage whose inputs are all present (and whose `when` tags match)."""
    for spec in derived:
        if spec.when and not all(tags.get(tag) in values for tag, values in spec.when.items()):
            continue
        parts = [_sum(fields, spec.used), _sum(fields, spec.free), _sum(fields, spec.total)]
        if any(
            part is None
            for listed, part in zip((spec.used, spec.free, spec.total), parts, strict=True)
            if listed
        ):
            continue
        used, free, total = parts
        if total is None and used is not None and free is not None:
            total = used + free
        if used is None and total is not None and free is not None:
            used = total - free
        if used is None or not total:
            continue
        fields[spec.field] = used / total * 100.0


def _sum(fields: dict[str, FieldValue], names: list[str]) -> float | None:
    if not names:
        return None
    total = 0.0
    for name in names:
        value = fields.get(name)
        if not isinstance(value, int | float) or isinstance(value, bool):
            return None
        total += value
    return total


def _row_indexes(metric: MetricSpec, columns: dict[str, list[VarBind]]) -> set[str]:
    indexes: set[str] = set()
    for spec in metric.fields:
        indexes.update(vb.oid[len(spec.oid) + 1 :] for vb in columns.get(spec.oid, ()))
    return indexes


class _Counting:
    """Wraps a session to count varbinds for the device's status."""

    def __init__(self) -> None:
        self.session: Session | None = None
        self.varbinds = 0
        self.errors = 0
        self.timeouts = 0

    async def get(self, oids: list[str]) -> list[VarBind]:
        assert self.session is not None
        answer = await self.session.get(oids)
        self.varbinds += len(answer)
        return answer

    async def walk(self, subtrees: list[str]) -> dict[str, list[VarBind]]:
        assert self.session is not None
        answer = await self.session.bulk_walk(subtrees)
        self.varbinds += sum(len(v) for v in answer.values())
        return answer


def _text(varbind: VarBind) -> str | None:
    if not varbind.exists or varbind.value is None:
        return None
    if isinstance(varbind.value, bytes):
        return decode_octets(varbind.value)
    return str(varbind.value)


def decode_octets(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").rstrip("\x00").strip()


def convert(spec: FieldSpec, varbind: VarBind) -> FieldValue | None:
    """The field's value in its declared type, or None when the agent's answer does not fit it
    (a field is never written with another type: InfluxDB would reject it)."""
    raw = varbind.value
    if not varbind.exists or raw is None:
        return None
    if spec.type == "str":
        if spec.enum is not None:
            number = _number(raw)
            if number is None:
                return None
            return spec.enum.get(int(number), str(int(number)))
        return decode_octets(raw) if isinstance(raw, bytes) else str(raw)
    number = _number(raw)
    if number is None or (spec.missing_values and number in spec.missing_values):
        return None
    if spec.type == "int":
        return int(number)
    if spec.type == "float":
        return float(number) * (spec.scale if spec.scale is not None else 1.0)
    return int(number) == 1  # bool: SNMP TruthValue, 1 = true, 2 = false


def _number(raw: int | bytes | str) -> float | None:
    if isinstance(raw, int):
        return raw
    text = decode_octets(raw) if isinstance(raw, bytes) else raw
    try:
        return float(text)  # some agents send numbers as strings (FortiGate, some UPSes)
    except ValueError:
        return None


def tag_text(tag: TagSpec, varbind: VarBind) -> str | None:
    text = _text(varbind)
    if text is None:
        return None
    if tag.enum is not None:
        return tag.enum.get(text, text)
    return text
