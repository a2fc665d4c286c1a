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
        # text() starts with the title (Vietnamese, then English): printing it again repeated each
        # alert's heading three times in the log.
        log.log(self.level, "[%s] %s", notification.receiver, notification.text())
        self.sent += 1

    async def close(self) -> None:
        return None
