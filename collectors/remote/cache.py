"""The targets of the last successful fetch, on disk, so that a collector started while the
service is down still polls. The file holds decrypted SNMP secrets: it is written 0600, replaced
atomically, and lives in the collector's data folder only."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class TargetCache:
    def __init__(self, path: Path) -> None:
        self.path = path

    def save(self, document: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)

    def load(self) -> dict[str, Any] | None:
        try:
            document: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            log.warning("the cached targets in %s cannot be read: %s", self.path, error)
            return None
        return document
