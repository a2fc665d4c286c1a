"""Real notification peers on loopback: an SMTP server (aiosmtpd, STARTTLS and AUTH required,
with a self-signed certificate made here) and an HTTP receiver that records requests and can be
told to fail or be stopped (an outage) and started again on the same port."""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.peers import free_port

SMTP_USER = "eams"
SMTP_PASSWORD = "mật-khẩu-thử"


@dataclass
class ReceivedMail:
    message: Message
    authenticated_as: str | None
    over_tls: bool

    @property
    def text(self) -> str:
        part = self.message.get_payload(decode=True)
        return part.decode("utf-8") if isinstance(part, bytes) else str(self.message.get_payload())


@dataclass
class SmtpServer:
    """aiosmtpd with STARTTLS required and AUTH (PLAIN/LOGIN) required after it."""

    cert: Path
    key: Path
    port: int = field(default_factory=free_port)
    received: list[ReceivedMail] = field(default_factory=list)
    refuse_with: str | None = None  # an SMTP reply to every message, e.g. "550 5.1.1 no such user"
    refused: int = 0
    _controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd hook
        if self.refuse_with is not None:
            self.refused += 1
            return self.refuse_with
        login = session.auth_data.decode() if session.authenticated and session.auth_data else None
        self.received.append(
            ReceivedMail(message_from_bytes(envelope.content), login, session.ssl is not None)
        )
        return "250 OK"

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == SMTP_USER
            and data.password.decode() == SMTP_PASSWORD
        )
        return AuthResult(success=ok, handled=False, auth_data=data.login if ok else None)

    def start(self) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        self._controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=context,
            require_starttls=True,
            auth_required=True,
            auth_require_tls=True,
            authenticator=self._authenticate,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def config(self, to: str = "noc@so-khcn.example.gov.vn") -> dict[str, Any]:
        return {
            "to": [to],
            "from": "eams@so-khcn.example.gov.vn",
            "host": "127.0.0.1",
            "port": self.port,
            "username": SMTP_USER,
            "password": SMTP_PASSWORD,
            "ca_file": str(self.cert),
            "timeout": 5,
        }


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HttpReceiver:
    """A real HTTP server in a thread that records POSTs; `failing` makes it answer 503,
    `refuse_with` any other status (the refused requests are counted in `refused`)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.requests: list[Request] = []
        self.failing = False
        self.refuse_with: int | None = None
        self.refused = 0
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if receiver.failing or receiver.refuse_with is not None:
                    receiver.refused += 1
                    self.send_response(503 if receiver.failing else receiver.refuse_with or 400)
                    self.end_headers()
                    return
                receiver.requests.append(Request(self.path, dict(self.headers.items()), body))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                return

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def payloads(self) -> list[dict[str, Any]]:
        return [r.json() for r in self.requests]
