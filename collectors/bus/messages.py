"""The body of one bus message: a JSON batch of samples, events or discovered facts of one
partition.

The shapes are those of the HTTP uplink (`collectors.remote.wire`), so both transports carry the
same data. Facts are `inventory.discovery.Observation`s, staged by the service as they come.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from collectors.remote.wire import (
    event_from_json,
    event_to_json,
    observation_from_json,
    observation_to_json,
    sample_from_json,
    sample_to_json,
)
from collectors.samples import Event, Sample
from inventory.discovery import Observation


class BadMessage(ValueError):
    """A message that is not a batch: it can never be processed (terminated, counted)."""


@dataclass(frozen=True)
class Batch:
    samples: list[Sample]
    events: list[Event]
    created_ns: int
    source: str
    facts: list[Observation] = field(default_factory=list)


def encode(
    samples: list[dict[str, Any]],
    events: list[dict[str, Any]],
    created_ns: int,
    source: str,
    facts: list[dict[str, Any]] | None = None,
) -> bytes:
    body: dict[str, Any] = {"created_ns": created_ns, "source": source, "samples": samples, "events": events}
    if facts:
        body["facts"] = facts
    return json.dumps(body, separators=(",", ":")).encode()


def encode_samples(samples: list[Sample]) -> list[dict[str, Any]]:
    return [sample_to_json(sample) for sample in samples]


def encode_event(event: Event) -> dict[str, Any]:
    return event_to_json(event)


def encode_observation(observation: Observation) -> dict[str, Any]:
    return observation_to_json(observation)


def decode(data: bytes) -> Batch:
    try:
        body = json.loads(data)
        return Batch(
            samples=[sample_from_json(s) for s in body.get("samples", [])],
            events=[event_from_json(e) for e in body.get("events", [])],
            created_ns=int(body.get("created_ns", 0)),
            source=str(body.get("source", "")),
            facts=[observation_from_json(f) for f in body.get("facts", [])],
        )
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise BadMessage(f"not a batch of samples, events or facts: {error}") from error
