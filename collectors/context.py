"""What a collector needs from whatever process runs it: the inventory database, the box that opens
stored credentials, and the pipeline its samples and events go into.

The service builds one from its own objects (`eams.services.Services.collector_context`); a test or
a benchmark builds one directly. Collectors take this, never the service's objects, so that the
dependency points one way: the service wires collectors, collectors know nothing of the service.
"""

from __future__ import annotations

from dataclasses import dataclass

from collectors.pipeline import Pipeline
from inventory.db import Database
from inventory.secretbox import SecretBox


@dataclass(frozen=True)
class CollectorContext:
    db: Database
    secret_box: SecretBox
    pipeline: Pipeline
