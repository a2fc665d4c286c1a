"""The API load: N concurrent clients (a bounded httpx async pool), each asking for a page after
the previous answer, for `duration` seconds. Run in its own process so that the clients' work
does not run on the service's event loop. Prints one JSON line of figures."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from typing import Any

import httpx


async def client_loop(
    http: httpx.AsyncClient, device_ids: list[int], until: float, seen: dict[str, Any], rng: random.Random
) -> None:
    while time.monotonic() < until:
        choice = rng.random()
        if choice < 0.5:
            path = f"/api/v1/devices?limit=50&offset={rng.randrange(0, 9000)}"
        elif choice < 0.7:
            path = "/api/v1/alerts?state=firing&limit=50"
        elif choice < 0.9:
            path = f"/api/v1/devices/{rng.choice(device_ids)}"
        else:
            path = "/api/v1/devices?q=may chu&limit=20"
        started = time.perf_counter()
        try:
            response = await http.get(path)
            status = response.status_code
            retry_after = "retry-after" in response.headers
        except httpx.HTTPError as exc:
            status, retry_after = 0, False
            seen["transport"][type(exc).__name__] = seen["transport"].get(type(exc).__name__, 0) + 1
        seen["latencies"].append(time.perf_counter() - started)
        if status == 503 and retry_after:
            seen["busy_503"] += 1
            await asyncio.sleep(float(response.headers.get("retry-after", "1")))
        elif status >= 500 or status == 0:
            seen["errors_5xx"] += 1
            seen["statuses"][str(status)] = seen["statuses"].get(str(status), 0) + 1
        elif status >= 400:
            seen["errors_4xx"] += 1


async def run(url: str, token: str, clients: int, duration: float, device_ids: list[int]) -> dict[str, Any]:
    seen: dict[str, Any] = {
        "latencies": [],
        "busy_503": 0,
        "errors_5xx": 0,
        "errors_4xx": 0,
        "statuses": {},  # the 5xx answers by status (0: no answer, see transport)
        "transport": {},
    }
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=120) as http:
        until = time.monotonic() + duration
        await asyncio.gather(
            *(client_loop(http, device_ids, until, seen, random.Random(n)) for n in range(clients))
        )
    latencies = sorted(seen.pop("latencies"))

    def percentile(fraction: float) -> float:
        return latencies[min(len(latencies) - 1, int(fraction * len(latencies)))] * 1000 if latencies else 0.0

    return {
        "requests": len(latencies),
        "rps": len(latencies) / duration,
        "p50_ms": percentile(0.5),
        "p99_ms": percentile(0.99),
        **seen,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--clients", type=int, required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--device-ids", required=True, help="comma-separated")
    args = parser.parse_args()
    ids = [int(i) for i in args.device_ids.split(",")]
    print(json.dumps(asyncio.run(run(args.url, args.token, args.clients, args.duration, ids))))


if __name__ == "__main__":
    main()
