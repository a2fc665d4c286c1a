"""Generic webhook: the notification as JSON, signed with HMAC-SHA256 so bridges (Telegram, Zalo,
Slack) can tell it came from us.

Headers: `X-EAMS-Timestamp` (Unix seconds), `X-EAMS-Signature: sha256=<hex>` over
`"<timestamp>.<body>"` with the receiver's secret, and `Idempotency-Key` (the outbox key).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
from pydantic import BaseModel, ConfigDict, Field

from eams.alerts.notify.base import DeliveryError, Notification

RETRYABLE_4XX = frozenset({408, 429})


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver runs to check a request (shown in the README)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^https?://")
    secret: str | None = Field(default=None, description="Secret: stored encrypted, never shown")
    timeout: float = 10.0
    verify_tls: bool = True


class WebhookChannel:
    kind = "webhook"

    def __init__(self, config: WebhookConfig) -> None:
        self.config = config
        self._client = httpx.AsyncClient(timeout=config.timeout, verify=config.verify_tls)

    async def send(self, notification: Notification) -> None:
        body = json.dumps(
            {"receiver": notification.receiver, "key": notification.key, **notification.payload},
            ensure_ascii=False,
            sort_keys=True,
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": notification.key,
            "X-EAMS-Timestamp": timestamp,
        }
        if self.config.secret:
            headers["X-EAMS-Signature"] = sign(self.config.secret, timestamp, body)
        try:
            response = await self._client.post(self.config.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook {self.config.url}: {exc!r}") from exc
        status = response.status_code
        if status >= 300:
            # A 4xx says the request itself is wrong (bad URL, bad signature): resending it cannot
            # help, except "timed out" and "slow down".
            permanent = 400 <= status < 500 and status not in RETRYABLE_4XX
            raise DeliveryError(f"webhook {self.config.url} answered {status}", permanent=permanent)

    async def close(self) -> None:
        await self._client.aclose()
