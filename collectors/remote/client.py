"""The collector's side of the service API (httpx), with failures sorted into two kinds:
`ServiceUnavailable` (down, slow, 5xx: try again later) and `ServiceRefused` (a 4xx the
operator must fix: a bad token, an unknown site)."""

from __future__ import annotations

from typing import Any

import httpx


class ServiceUnavailable(Exception):
    """The service cannot be reached now; what was being sent is kept and retried."""


class ServiceRefused(Exception):
    """The service answered with a 4xx: retrying the same request cannot help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("message") or body)
    return str(body)


class ServiceClient:
    def __init__(self, server: str, token: str, name: str, *, timeout: float = 10.0) -> None:
        self.name = name
        self._http = httpx.AsyncClient(
            base_url=server.rstrip("/") + "/api/v1",
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise ServiceUnavailable(f"{type(error).__name__}: {error}") from error
        if response.status_code >= 500 or response.status_code == 429:
            raise ServiceUnavailable(f"{response.status_code}: {_message(response)}")
        if response.status_code >= 400:
            raise ServiceRefused(response.status_code, _message(response))
        return response.json()

    async def heartbeat(self, health: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("PUT", f"/collectors/{self.name}", json=health)
        return result

    async def targets(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", f"/collectors/{self.name}/targets")
        return result

    async def post_batch(self, body: bytes) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST",
            f"/collectors/{self.name}/samples",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        return result

    async def close(self) -> None:
        await self._http.aclose()
