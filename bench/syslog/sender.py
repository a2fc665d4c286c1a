"""The load generator, run as its own process so that it does not share our CPU accounting:
    python -m bench.syslog.sender tcp HOST PORT COUNT [RATE]   (octet-counted frames, as fast as
                                                               possible or paced at RATE per second)
    python -m bench.syslog.sender udp HOST PORT COUNT RATE
Messages cycle through the corpus; each carries its sequence number."""

from __future__ import annotations

import socket
import sys
import time

from bench.syslog.corpus import message


def tcp(host: str, port: int, count: int, rate: float = 0.0) -> None:
    """As fast as possible, or paced at `rate` per second (rate > 0)."""
    with socket.create_connection((host, port)) as sock:
        chunk: list[bytes] = []
        size = 0
        started = time.perf_counter()
        for index in range(count):
            data = message(index)
            chunk.append(b"%d %s" % (len(data), data))
            size += len(chunk[-1])
            if size > 1 << 20 or (rate and index % 50 == 49):
                sock.sendall(b"".join(chunk))
                chunk, size = [], 0
                ahead = (index + 1) / rate - (time.perf_counter() - started) if rate else 0
                if ahead > 0:
                    time.sleep(ahead)
        sock.sendall(b"".join(chunk))


def udp(host: str, port: int, count: int, rate: float) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        started = time.perf_counter()
        for index in range(count):
            sock.sendto(message(index), (host, port))
            if index % 100 == 99:  # pace to `rate` per second
                ahead = (index + 1) / rate - (time.perf_counter() - started)
                if ahead > 0:
                    time.sleep(ahead)


if __name__ == "__main__":
    kind, host, port, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if kind == "tcp":
        tcp(host, port, count, float(sys.argv[5]) if len(sys.argv) > 5 else 0.0)
    else:
        udp(host, port, count, float(sys.argv[5]))
