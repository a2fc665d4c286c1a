"""The log channel: writes each notification to the service log (always available, no peer)."""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import BaseModel, ConfigDict

from eams.alerts.notify.base import Notification

log = logging.getLogger("eams.alerts.notifications")


class LogConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: Literal["info", "warning", "error"] = "warning"


class LogChannel:
    kind = "log"

    def __init__(self, config: LogConfig) -> None:
        self.level = logging.getLevelName(config.level.upper())
        self.sent: int = 0

    async def send(self, notification: Notification) -> None:
        log.log(self.level, "[%s] %s\n%s", notification.receiver, notification.title, notification.text())
        self.sent += 1

    async def close(self) -> None:
        return None
