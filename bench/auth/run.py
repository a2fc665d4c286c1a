"""What signing in and sessions cost: a sign-in at the configured Argon2id cost next to a bare
argon2-cffi verify of the same hash (the floor), and the CPU one API request spends on finding its
caller by session cookie next to by bearer token, through HTTP and for the lookup alone."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi.testclient import TestClient

from eams.api.app import create_app
from eams.api.deps import caller_from_session, caller_from_token
from eams.auth import create_token
from eams.auth.config import AuthConfig
from eams.auth.login import LoginState
from eams.auth.passwords import hasher
from eams.auth.service import accounts_of
from eams.auth.sessions import ClientInfo
from eams.auth.users import create_user
from eams.services import Services
from eams.settings import Settings
from inventory import migrate
from inventory.models import Role

PASSWORD = "Bench-Mat-Khau-Dai-2026"


@dataclass(frozen=True)
class Config:
    sign_ins: int = 40
    requests: int = 400
    auth: AuthConfig = field(default_factory=AuthConfig)


@dataclass
class Timing:
    label: str
    wall_ms: list[float]
    cpu_ms: float  # per operation, this process

    def p(self, q: float) -> float:
        ordered = sorted(self.wall_ms)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Report:
    config: Config
    sign_in: Timing
    bare_verify: Timing
    requests: list[Timing]

    def render(self) -> str:
        a = self.config.auth
        lines = [
            f"Argon2id cost: time_cost={a.argon2_time_cost}, memory={a.argon2_memory_kib} KiB, "
            f"parallelism={a.argon2_parallelism}",
            "",
            f"{'':44} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms/op':>10}",
        ]
        for timing in [self.sign_in, self.bare_verify, *self.requests]:
            lines.append(
                f"{timing.label:44} {timing.p(0.5):8.2f} {timing.p(0.95):8.2f} {timing.cpu_ms:10.3f}"
            )
        bearer, session, by_token, by_session = self.requests
        lines += [
            "",
            f"sign-in / bare verify (CPU): {self.sign_in.cpu_ms / self.bare_verify.cpu_ms:.2f}x",
            "session vs bearer token, per request: "
            f"{session.cpu_ms - bearer.cpu_ms:+.3f} ms CPU through HTTP, "
            f"{by_session.cpu_ms - by_token.cpu_ms:+.3f} ms CPU for the lookup alone "
            f"({by_session.cpu_ms / by_token.cpu_ms:.2f}x)",
        ]
        return "\n".join(lines)


def _measure(label: str, count: int, operation: Callable[[], object]) -> Timing:
    walls: list[float] = []
    cpu_start = time.process_time()
    for _ in range(count):
        started = time.perf_counter()
        operation()
        walls.append((time.perf_counter() - started) * 1000)
    cpu = (time.process_time() - cpu_start) * 1000 / count
    return Timing(label, walls, cpu)


def run(config: Config, progress: Callable[[str], None] = print) -> Report:
    with tempfile.TemporaryDirectory(prefix="eams-bench-auth-") as folder:
        settings = Settings(data_dir=Path(folder), secret_key="bench-auth", auth=config.auth)
        services = Services.from_settings(settings)
        try:
            migrate.upgrade(services.db.engine)
            return _run(config, services, progress)
        finally:
            services.db.dispose()


def _run(config: Config, services: Services, progress: Callable[[str], None]) -> Report:
    with services.db.session() as session:
        user = create_user(
            session, config.auth, username="bench.user", role=Role.operator, password=PASSWORD,
            must_change_password=False,
        )  # fmt: skip
        stored = user.password_hash or ""
        _, token = create_token(session, name="bench", role=Role.operator)
    accounts = accounts_of(services)
    client = ClientInfo(address="127.0.0.1", user_agent="bench/auth")

    def sign_in() -> None:
        outcome = accounts.authenticate("bench.user", PASSWORD, client)
        assert outcome.state is LoginState.ok, outcome.state

    progress(f"{config.sign_ins} sign-ins ...")
    sign_in()  # warm-up: imports, first connection
    signed = _measure("sign-in (throttle, Argon2id, session, audit)", config.sign_ins, sign_in)
    ph = hasher(config.auth)
    bare = _measure(
        "bare argon2-cffi verify (the floor)", config.sign_ins, lambda: ph.verify(stored, PASSWORD)
    )
    progress(f"{config.requests} requests each way ...")
    with TestClient(create_app(services, background=False)) as http:
        login = http.post("/api/v1/auth/login", json={"username": "bench.user", "password": PASSWORD})
        assert login.status_code == 200, login.text
        cookie = http.cookies["eams_session"]
        http.cookies.clear()

        def call(headers: dict[str, str], cookies: dict[str, str]) -> None:
            answer = http.get("/api/v1/auth/me", headers=headers, cookies=cookies)
            assert answer.status_code == 200, answer.text

        bearer_headers = {"Authorization": f"Bearer {token}"}
        for _ in range(20):  # warm-up
            call(bearer_headers, {})
            call({}, {"eams_session": cookie})
        bearer = _measure(
            "GET /auth/me with a bearer token", config.requests, lambda: call(bearer_headers, {})
        )
        with_session = _measure(
            "GET /auth/me with a session cookie", config.requests, lambda: call({}, {"eams_session": cookie})
        )
        http.cookies.clear()
    # The lookups alone, as eams/api/deps.py makes them (each in its own short transaction).
    by_token = _measure(
        "find the caller: bearer token", config.requests, lambda: caller_from_token(services, token)
    )
    by_session = _measure(
        "find the caller: session", config.requests, lambda: caller_from_session(services, cookie)
    )
    return Report(config, signed, bare, [bearer, with_session, by_token, by_session])
