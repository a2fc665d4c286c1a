"""InfluxDB as a metrics backend: InfluxQL over `/query` (InfluxDB 1.x; 2.x through the DBRP mapping
of the bucket; 3.x), answered as raw points that the query service turns into rates and steps.

Queries are built from the measurement schema only: the measurement, field and tag names are the
schema's (quoted as InfluxQL identifiers), and every value that comes from a caller or from the
inventory (device names, entity tags, times) travels as a bound parameter (`params=`), never as
text inside the query. `bucket` is `database` or `database/retention-policy`, as for the sink.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import numpy as np

from collectors.schema import INVENTORY_TAGS, Schema
from collectors.sinks.store.reader import RawSeries
from eams.metrics.backends.base import BackendError, Latest, SeriesKey, key_of

DEVICES_PER_QUERY = 100
NS = 1_000_000_000  # an int: t / NS is exact to the float, as in collectors/sinks/store/steps.py


def identifier(name: str) -> str:
    """An InfluxQL identifier, double-quoted (names come from the schema, quoted all the same)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


class InfluxBackend:
    name = "influx"

    def __init__(
        self,
        url: str,
        *,
        token: str = "",
        bucket: str = "eams",
        schema: Schema,
        timeout: float = 30.0,
        client: httpx.Client | None = None,
    ) -> None:
        database, _, policy = bucket.partition("/")
        self.database = database
        self.policy = policy or None
        self.schema = schema
        headers: dict[str, str] = {}
        auth: httpx.BasicAuth | None = None
        if ":" in token:  # InfluxDB 1.x user:password
            user, _, password = token.partition(":")
            auth = httpx.BasicAuth(user, password)
        elif token:
            headers["Authorization"] = f"Token {token}"
        self.client = client or httpx.Client(
            base_url=url.rstrip("/"), headers=headers, auth=auth, timeout=timeout
        )

    def close(self) -> None:
        self.client.close()

    # -- the one call -----------------------------------------------------------------------------
    def query(self, text: str, params: dict[str, object]) -> list[dict[str, Any]]:
        """The series of one statement's answer; an error is a BackendError with InfluxDB's words."""
        form = {"q": text, "db": self.database, "epoch": "ns", "params": json.dumps(params)}
        if self.policy:
            form["rp"] = self.policy
        try:
            response = self.client.post("/query", data=form)
        except httpx.HTTPError as error:
            raise BackendError(f"InfluxDB at {self.client.base_url} does not answer: {error}") from None
        if response.status_code != 200:
            raise BackendError(
                f"InfluxDB answered {response.status_code} to a query: {response.text.strip()[:300]}"
            )
        results = response.json().get("results", [])
        if not results:
            return []
        if "error" in results[0]:
            raise BackendError(f"InfluxDB refused a query: {results[0]['error']}")
        series: list[dict[str, Any]] = results[0].get("series", [])
        return series

    # -- building statements ----------------------------------------------------------------------
    def _group_tags(self, measurement: str) -> list[str]:
        return ["device", *self.schema[measurement].entity_tags]

    def _where(
        self, devices: list[str] | None, entity: dict[str, str], params: dict[str, object]
    ) -> list[str]:
        clauses = []
        if devices is not None:
            names = []
            for i, device in enumerate(devices):
                params[f"d{i}"] = device
                names.append(f'"device" = $d{i}')
            clauses.append("(" + " OR ".join(names) + ")" if names else "false")
        for i, (tag, value) in enumerate(sorted(entity.items())):
            params[f"e{i}"] = value
            clauses.append(f"{identifier(tag)} = $e{i}")
        return clauses

    def _chunks(self, devices: list[str] | None) -> list[list[str] | None]:
        if devices is None:
            return [None]
        return [devices[i : i + DEVICES_PER_QUERY] for i in range(0, len(devices), DEVICES_PER_QUERY)]

    @staticmethod
    def _key(tags: dict[str, str]) -> SeriesKey:
        entity = {k: v for k, v in tags.items() if k not in INVENTORY_TAGS and v != ""}
        return key_of(tags.get("device", ""), entity)

    # -- what the service asks --------------------------------------------------------------------
    def raw(
        self,
        measurement: str,
        fields: list[str],
        devices: list[str] | None,
        entity: dict[str, str],
        start_ns: int,
        end_ns: int,
    ) -> dict[SeriesKey, dict[str, RawSeries]]:
        found: dict[SeriesKey, dict[str, tuple[list[int], list[Any]]]] = {}
        selected = ", ".join(identifier(f) for f in fields)
        group = ", ".join(identifier(t) for t in self._group_tags(measurement))
        for chunk in self._chunks(devices):
            params: dict[str, object] = {"start": start_ns, "end": end_ns}
            where = [*self._where(chunk, entity, params), "time >= $start", "time < $end"]
            text = (
                f"SELECT {selected} FROM {identifier(measurement)} WHERE {' AND '.join(where)} "
                f"GROUP BY {group}"
            )
            for series in self.query(text, params):
                key = self._key(series.get("tags", {}))
                columns = series["columns"]
                per_field = found.setdefault(key, {})
                for row in series["values"]:
                    at = int(row[0])
                    for position, name in enumerate(columns[1:], start=1):
                        value = row[position]
                        if value is None or isinstance(value, str):
                            continue
                        times, values = per_field.setdefault(name, ([], []))
                        times.append(at)
                        values.append(value)
        out: dict[SeriesKey, dict[str, RawSeries]] = {}
        spec_of = self.schema[measurement].fields
        for key, per_field in found.items():
            for name, (times, values) in per_field.items():
                order = np.argsort(np.asarray(times, np.int64), kind="stable")
                time = np.asarray(times, np.int64)[order]
                ordered = [values[i] for i in order.tolist()]
                is_int = spec_of[name].type in ("int", "bool") if name in spec_of else False
                exact = [int(v) for v in ordered] if is_int else None
                out.setdefault(key, {})[name] = RawSeries(
                    time, np.asarray([float(v) for v in ordered], np.float64), exact
                )
        return out

    def latest(
        self, measurement: str, fields: list[str], devices: list[str]
    ) -> dict[SeriesKey, dict[str, Latest]]:
        """The last two points of each field (a rate needs both) and the device's last two uptimes."""
        from collectors.schema import UPTIME
        from collectors.snmp.rates import counter_rate

        out: dict[SeriesKey, dict[str, Latest]] = {}
        spec_of = self.schema[measurement].fields
        group = ", ".join(identifier(t) for t in self._group_tags(measurement))
        restarts: dict[str, tuple[int, int] | None] = {}
        wants_rate = any(spec_of[f].counter for f in fields if f in spec_of)
        if wants_rate and UPTIME[0] in self.schema:
            for chunk in self._chunks(devices):
                params: dict[str, object] = {}
                where = self._where(chunk, {}, params)
                text = (
                    f"SELECT {identifier(UPTIME[1])} FROM {identifier(UPTIME[0])} "
                    f'WHERE {" AND ".join(where)} GROUP BY "device" ORDER BY time DESC LIMIT 2'
                )
                for series in self.query(text, params):
                    values = series["values"]
                    device = series.get("tags", {}).get("device", "")
                    if len(values) == 2 and values[0][1] is not None and values[1][1] is not None:
                        went_back = float(values[0][1]) < float(values[1][1])
                        restarts[device] = (int(values[1][0]), int(values[0][0])) if went_back else None
        for name in fields:
            spec = spec_of.get(name)
            for chunk in self._chunks(devices):
                params = {}
                where = self._where(chunk, {}, params)
                text = (
                    f"SELECT {identifier(name)} FROM {identifier(measurement)} WHERE {' AND '.join(where)} "
                    f"GROUP BY {group} ORDER BY time DESC LIMIT 2"
                )
                for series in self.query(text, params):
                    rows = [row for row in series["values"] if row[1] is not None]
                    if not rows:
                        continue
                    key = self._key(series.get("tags", {}))
                    at, value = int(rows[0][0]), rows[0][1]
                    if spec is not None and spec.type == "bool" and not isinstance(value, bool):
                        value = bool(value)
                    elif spec is not None and spec.type == "float" and isinstance(value, int):
                        value = float(value)
                    rate = None
                    if spec is not None and spec.counter and len(rows) == 2:
                        previous_at = int(rows[1][0])
                        window = restarts.get(key[0])
                        reset = window is not None and previous_at < window[1] <= at
                        rate = counter_rate(
                            int(rows[1][1]), previous_at / NS, int(value), at / NS, spec.counter_bits, reset
                        )
                    out.setdefault(key, {})[name] = Latest(at, value, rate)
        return out
