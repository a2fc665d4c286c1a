"""InfluxDB 1.8's `/api/v2/write` compatibility endpoint, which the InfluxDB 1.6 here lacks.

The service's sink writes with influxdb-client (`/api/v2/write?bucket=db/rp`); InfluxDB 1.8+ takes
that natively, 1.6 only as `/write?db=&rp=`. This relay turns one into the other and passes the
body through untouched, so what lands in the real `influxd` is byte for byte what the sink sent;
it is not a stand-in for InfluxDB: every answer is influxd's own.
"""

from __future__ import annotations

import gzip
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.tsdb import http


@contextmanager
def v2_write_relay(influxd_url: str) -> Iterator[str]:
    """Serve on a free loopback port and yield its URL; stopped on exit."""

    class Relay(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            if url.path != "/api/v2/write":
                self._answer(404, b'{"message": "only /api/v2/write is relayed"}')
                return
            query = urllib.parse.parse_qs(url.query)
            database, _, policy = query.get("bucket", ["eams"])[0].partition("/")
            params = {"db": database, "precision": query.get("precision", ["ns"])[0]}
            if policy:
                params["rp"] = policy
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            status, answer = http("POST", f"{influxd_url}/write?" + urllib.parse.urlencode(params), body)
            self._answer(status, answer)

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Relay)
    thread = threading.Thread(target=server.serve_forever, name="influx-v2-relay", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
