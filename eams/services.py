"""The long-lived objects the service shares between requests and background jobs.

Built once at start-up and handed around explicitly (no module globals), so that tests can run
several services side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from collectors.context import CollectorContext
from collectors.pipeline import Pipeline
from collectors.singleton import RunHere, Singletons
from eams.settings import Settings
from inventory.db import Database
from inventory.secretbox import SecretBox


@dataclass
class Services:
    settings: Settings
    db: Database
    secret_box: SecretBox
    # Samples and events flow through here to the sinks and the alert engine.
    pipeline: Pipeline = field(default_factory=Pipeline)
    # Parts added by later layers (collectors, alert engine ...) register themselves here by name.
    extras: dict[str, Any] = field(default_factory=dict)
    # Who runs the jobs that must run once across instances (eams.components.cluster sets the
    # PostgreSQL one at start; alone, every job runs here).
    singletons: Singletons = field(default_factory=RunHere)

    @property
    def collector_context(self) -> CollectorContext:
        """What the collectors this service runs may use: the database, credentials, the pipeline."""
        return CollectorContext(self.db, self.secret_box, self.pipeline)

    @classmethod
    def from_settings(cls, settings: Settings, db: Database | None = None) -> Services:
        settings.ensure_data_dir()
        database = db or Database(
            settings.resolved_database_url,
            pool_size=settings.database_pool_size,
            max_overflow=0,
            pool_timeout=settings.database_pool_timeout_s,
        )
        return cls(settings=settings, db=database, secret_box=SecretBox(settings.resolved_secret_key()))
