"""The long-lived objects the service shares between requests and background jobs.

Built once at start-up and handed around explicitly (no module globals), so that tests can run
several services side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from collectors.pipeline import Pipeline
from inventory.secretbox import SecretBox
from eams.settings import Settings
from inventory.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    secret_box: SecretBox
    # Samples and events flow through here to the sinks and the alert engine.
    pipeline: Pipeline = field(default_factory=Pipeline)
    # Parts added by later layers (collectors, alert engine ...) register themselves here by name.
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings, db: Database | None = None) -> Services:
        settings.ensure_data_dir()
        database = db or Database(settings.resolved_database_url)
        return cls(settings=settings, db=database, secret_box=SecretBox(settings.resolved_secret_key()))
