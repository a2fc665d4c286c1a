"""The body of one bus message: a JSON batch of samples and events of one partition.

The shapes are those of the HTTP uplink (`collectors.remote.wire`), so both transports carry the
same data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from collectors.remote.wire import event_from_json, event_to_json, sample_from_json, sample_to_json
from collectors.samples import Event, Sample


class BadMessage(ValueError):
    """A message that is not a batch: it can never be processed (terminated, counted)."""


@dataclass(frozen=True)
class Batch:
    samples: list[Sample]
    events: list[Event]
    created_ns: int
    source: str


def encode(
    samples: list[dict[str, Any]], events: list[dict[str, Any]], created_ns: int, source: str
) -> bytes:
    body = {"created_ns": created_ns, "source": source, "samples": samples, "events": events}
    return json.dumps(body, separators=(",", ":")).encode()


def encode_samples(samples: list[Sample]) -> list[dict[str, Any]]:
    return [sample_to_json(sample) for sample in samples]


def encode_event(event: Event) -> dict[str, Any]:
    return event_to_json(event)


def decode(data: bytes) -> Batch:
    try:
        body = json.loads(data)
        return Batch(
            samples=[sample_from_json(s) for s in body.get("samples", [])],
            events=[event_from_json(e) for e in body.get("events", [])],
            created_ns=int(body.get("created_ns", 0)),
            source=str(body.get("source", "")),
        )
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise BadMessage(f"not a batch of samples and events: {error}") from error
