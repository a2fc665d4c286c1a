"""The one interface every notification channel implements, and the message it receives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class DeliveryError(Exception):
    """The channel could not hand the message over. The outbox retries it later, unless the peer
    refused it for good (`permanent`: an SMTP 5xx, a webhook's 4xx other than 408/429), where a
    retry would only be refused again."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Notification:
    """What the outbox hands a channel: the stored payload plus its de-duplication key, which
    channels pass on (webhook `Idempotency-Key`, e-mail `Message-ID`) so receivers can drop repeats
    of an at-least-once delivery."""

    receiver: str
    key: str
    payload: dict[str, Any]

    @property
    def title(self) -> str:
        return str(self.payload.get("title", "eams alert"))

    def text(self) -> str:
        """Plain text in Vietnamese, then English: what an e-mail body or a chat message shows."""
        lines = [str(self.payload.get("title_vi", "")), str(self.payload.get("title", "")), ""]
        for alert in self.payload.get("alerts", []):
            state = alert.get("state", "")
            flags = [f for f in ("flapping", "acknowledged") if alert.get(f)]
            mark = f" [{', '.join(flags)}]" if flags else ""
            lines.append(f"[{alert.get('severity', '')}/{state}]{mark} {alert.get('summary_vi', '')}")
            lines.append(f"    {alert.get('summary', '')}")
            lines.append(
                f"    rule={alert.get('rule')} device={alert.get('device')} "
                f"site={alert.get('site')} agency={alert.get('agency')} since={alert.get('started_at')}"
            )
        return "\n".join(lines).strip() + "\n"


class Channel(Protocol):
    """A way to deliver: e-mail, webhook, log. `send` returns when the peer accepted the message
    and raises DeliveryError (or any exception) when it did not."""

    kind: str

    async def send(self, notification: Notification) -> None: ...

    async def close(self) -> None: ...
