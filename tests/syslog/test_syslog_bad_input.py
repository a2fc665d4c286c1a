"""Bad input does not crash the intake, is counted, and stays bounded: garbage bytes, 64 KiB lines,
a flood from one address (real sockets on loopback into the intake inside the service)."""

from __future__ import annotations

import os
import socket
from typing import Any

from fastapi.testclient import TestClient

from tests.syslog.conftest import Logger, udp_send, wait_for


def status(admin: TestClient) -> dict[str, Any]:
    body = admin.get("/api/v1/syslog/status").json()
    assert body["running"] is True
    return dict(body)


def test_garbage_bytes_are_stored_raw_and_the_intake_keeps_going(
    admin: TestClient, syslog_port: int, logger: Logger
) -> None:
    junk = [os.urandom(300), b"\x00\x00\x00", b"<999>not a pri", b"\xff\xfe\xfd<13>1 broken", b"%%%%"]
    udp_send(syslog_port, junk)
    with socket.create_connection(("127.0.0.1", syslog_port)) as tcp:
        tcp.sendall(b"999999999999 <13>not a length\n\xc3\x28 invalid utf-8\n")
    logger("-d", "--rfc5424", "-t", "app", "still alive")
    latest = lambda: admin.get("/api/v1/syslog").json()["results"]  # noqa: E731
    wait_for(lambda: any(r["message"] == "still alive" for r in latest()), "a good message after the garbage")
    rows = admin.get("/api/v1/syslog", params={"limit": 100}).json()["results"]
    raw = {row["raw"] for row in rows}
    assert "\\xff\\xfe\\xfd<13>1 broken" in raw, "bytes that are not UTF-8 are kept (shown as \\xNN)"
    assert any(row["message"] == "\\xc3( invalid utf-8" for row in rows)
    assert status(admin)["handler_errors"] == 0 and status(admin)["store_errors"] == 0


def test_64_kib_lines_are_cut_at_the_limit_counted_and_the_next_message_parses(
    admin: TestClient, syslog_port: int
) -> None:
    big = b"<13>1 - host app - - - " + b"A" * (70 * 1024)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(big[:65_000], ("127.0.0.1", syslog_port))  # the largest datagram loopback takes
    with socket.create_connection(("127.0.0.1", syslog_port)) as tcp:
        tcp.sendall(big + b"\n<13>1 - host app - - - after the long line\n")
        tcp.sendall(b"%d " % len(big) + big + b"<13>1 - host app - - - ")  # octet count past the limit
        tcp.sendall(b"\n")
    wait_for(lambda: status(admin)["truncated"] >= 2, "the long lines counted")
    wait_for(lambda: admin.get("/api/v1/syslog", params={"q": "after the long line"}).json()["count"] == 1,
             "the message after the long line")  # fmt: skip
    cut = admin.get("/api/v1/syslog", params={"truncated": "true"}).json()["results"]
    assert cut and all(len(row["raw"]) == 65_536 for row in cut), "cut at max_message_bytes"


def test_a_flood_from_one_address_is_dropped_and_counted_while_others_get_through(
    admin: TestClient, syslog_port: int
) -> None:
    flood = [b"<13>1 - flood app - - - flood %d" % i for i in range(3_000)]
    udp_send(syslog_port, flood, source="127.0.1.66")
    udp_send(syslog_port, [b"<13>1 - calm app - - - calm sender"], source="127.0.1.67")
    wait_for(lambda: admin.get("/api/v1/syslog", params={"source": "127.0.1.67"}).json()["count"] == 1,
             "the calm sender's message")  # fmt: skip
    wait_for(lambda: status(admin)["queued"] == 0, "the queue drained")
    body = status(admin)
    stored = admin.get("/api/v1/syslog", params={"source": "127.0.1.66"}).json()["count"]
    dropped = body["dropped"].get("rate_limited", 0)
    assert dropped > 0 and body["dropped_top_sources"].get("127.0.1.66") == dropped
    # The socket buffer may lose some datagrams before we see them; what we saw is stored or counted.
    assert stored + dropped <= 3_000 and stored <= 400 + 200 * 30, "bounded by burst + rate x time"
