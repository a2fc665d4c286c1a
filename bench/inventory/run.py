"""The benchmark itself: scratch database, fill, server process, timed HTTP and SQL queries."""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func, select

from bench.inventory.fill import ROLE_WORDS, fill
from eams.api.resources import list_clauses, ordered_select
from eams.api.routes.inventory import DEVICES
from eams.auth import Principal, create_token
from inventory import migrate
from inventory.db import Database
from inventory.models import Role
from inventory.search import fold
from tests.support.database import scratch_database_url

WARMUP = 20


@dataclass(frozen=True)
class Config:
    devices: int
    agencies: int
    requests: int
    database_url: str | None = None


@dataclass
class Timing:
    label: str
    http_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    matched: list[int] = field(default_factory=list)

    @staticmethod
    def percentile(values: list[float], fraction: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

    def row(self) -> str:
        p50, p95 = self.percentile(self.http_ms, 0.5), self.percentile(self.http_ms, 0.95)
        sql50 = self.percentile(self.sql_ms, 0.5)
        ratio = p50 / sql50 if sql50 else float("inf")
        return (
            f"{self.label:<34} {p50:8.1f} {p95:8.1f} {sql50:9.2f} {ratio:7.1f}x "
            f"{statistics.median(self.matched):9.0f}"
        )


@dataclass
class Report:
    backend: str
    devices: int
    agencies: int
    fill_s: float
    timings: list[Timing]

    def render(self) -> str:
        lines = [
            f"inventory API latency: {self.devices:,} devices, {self.agencies:,} agencies on {self.backend} "
            f"(filled in {self.fill_s:.1f} s)",
            f"{'query':<34} {'p50 ms':>8} {'p95 ms':>8} {'SQL p50':>9} {'HTTP/SQL':>8} {'matches':>9}",
        ]
        lines += [timing.row() for timing in self.timings]
        lines.append("p50/p95 through HTTP (uvicorn on loopback, httpx keep-alive); SQL = the same count and")
        lines.append("page queries run directly on the database, the floor; target p95 < 50 ms.")
        return "\n".join(lines)


@contextmanager
def server_process(database_url: str, folder: Path) -> Iterator[str]:
    from tests.support.peers import free_port, running, tcp_open

    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("EAMS_")},
        "EAMS_DATABASE_URL": database_url,
        "EAMS_DATA_DIR": str(folder / "var"),
        "EAMS_LOG_LEVEL": "warning",
    }
    eams = str(Path(sys.executable).with_name("eams"))
    with running(
        [eams, "serve", "--port", str(port)],
        ready=lambda: tcp_open("127.0.0.1", port),
        what="eams serve",
        log_path=folder / "serve.log",
        env=env,
        # The service's start reads the whole inventory (the alert engine's device directory):
        # over a minute at 100,000 devices on a busy 2-core machine.
        timeout=600,
    ):
        yield f"http://127.0.0.1:{port}"


def list_queries(
    rng: random.Random, agencies: list[tuple[int, str]], count: int
) -> list[list[tuple[str, str]]]:
    """(a) what a planner pages through: one role, still in service, warranty ending soon."""
    roles = [role.value for role in ROLE_WORDS]
    return [
        [
            ("role", rng.choice(roles)),
            ("status", "active"),
            ("warranty_end__lte", "2026-12-31"),
            ("limit", "50"),
            ("offset", str(50 * rng.randrange(10))),
        ]
        for _ in range(count)
    ]


def search_queries(
    rng: random.Random, agencies: list[tuple[int, str]], count: int
) -> list[list[tuple[str, str]]]:
    """(b) free text without diacritics: a kind of device and the agency that owns it."""
    queries = []
    for _ in range(count):
        _, name = rng.choice(agencies[1:])
        words = fold(ROLE_WORDS[rng.choice(list(ROLE_WORDS))]).split()[:2]
        queries.append([("q", " ".join([*words, *fold(name).split()])), ("limit", "50")])
    return queries


def time_sql(database: Database, params: list[tuple[str, str]]) -> tuple[float, int]:
    admin = Principal(name="bench", role=Role.admin)
    clauses = list_clauses(DEVICES, admin, params)
    query = dict(params)
    count_statement = select(func.count()).select_from(DEVICES.table).where(*clauses)
    page = ordered_select(DEVICES, clauses, query.get("ordering"))
    page = page.limit(int(query.get("limit", 50))).offset(int(query.get("offset", 0)))
    with database.sessionmaker() as session:
        started = time.perf_counter()
        matched = session.scalar(count_statement) or 0
        session.scalars(page).all()
        return (time.perf_counter() - started) * 1000, matched


def measure(
    label: str,
    queries: list[list[tuple[str, str]]],
    http: httpx.Client,
    database: Database,
) -> Timing:
    timing = Timing(label)
    for params in queries[:WARMUP]:
        http.get("/api/v1/devices", params=params).raise_for_status()
    for params in queries[WARMUP:]:
        started = time.perf_counter()
        response = http.get("/api/v1/devices", params=params)
        timing.http_ms.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        timing.matched.append(response.json()["count"])
        sql_ms, matched = time_sql(database, params)
        if matched != timing.matched[-1]:
            raise AssertionError(f"{label}: the API counted {timing.matched[-1]}, SQL {matched} for {params}")
        timing.sql_ms.append(sql_ms)
    return timing


def run(config: Config, progress: Callable[[str], None] | None = None) -> Report:
    say = progress or (lambda message: print(message, file=sys.stderr, flush=True))
    with tempfile.TemporaryDirectory(prefix="eams-bench-") as tmp:
        folder = Path(tmp)
        with scratch_database_url(folder, config.database_url, prefix="eams_bench", from_env=False) as url:
            database = Database(url)
            try:
                migrate.upgrade(database.engine)
                say(f"filling {config.devices:,} devices across {config.agencies:,} agencies ...")
                started = time.perf_counter()
                filled = fill(database.engine, devices=config.devices, agencies=config.agencies)
                fill_s = time.perf_counter() - started
                with database.session() as session:
                    _, token = create_token(session, name="bench", role=Role.admin)
                rng = random.Random(11)
                total = config.requests + WARMUP
                with server_process(url, folder) as base_url:
                    headers = {"Authorization": f"Bearer {token}"}
                    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
                        say("measuring ...")
                        timings = [
                            measure(
                                "(a) filtered, paged list",
                                list_queries(rng, filled.agencies, total),
                                http,
                                database,
                            ),
                            measure(
                                "(b) free-text q search",
                                search_queries(rng, filled.agencies, total),
                                http,
                                database,
                            ),
                        ]
                backend = database.engine.dialect.name
            finally:
                database.dispose()
    return Report(backend, config.devices, config.agencies, fill_s, timings)
