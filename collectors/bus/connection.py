"""Connecting to NATS and declaring the stream, shared by publishers and consumers.

The NATS client reconnects by itself once connected; the first connection is retried here, so a
collector or a service started while the bus is down waits for it instead of failing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from collectors.bus.config import BusConfig
from collectors.bus.subjects import stream_subjects

log = logging.getLogger(__name__)

MAX_CONNECT_BACKOFF = 5.0


async def connect(config: BusConfig, name: str, on_reconnect: Callable[[], None] | None = None) -> Client:
    """Connect, retrying until it succeeds (cancel the caller to give up). `on_reconnect` runs
    after every reconnection: the server may have come back on an empty store, without the
    stream and the consumers, which must then be declared again."""

    async def reconnected() -> None:
        log.info("the bus is back")
        if on_reconnect is not None:
            on_reconnect()

    backoff = 0.2
    while True:
        client = Client()

        async def disconnected(client: Client = client) -> None:
            if client.is_closed:
                return  # closed on purpose (a stop), not lost
            log.warning("lost the bus; reconnecting")

        try:
            await client.connect(
                servers=config.servers(),
                name=name,
                connect_timeout=2,
                allow_reconnect=True,
                max_reconnect_attempts=-1,  # the bus coming back is the normal case
                reconnect_time_wait=0.5,  # type: ignore[arg-type]  # typed int, sleeps a float
                error_cb=_log_error,
                disconnected_cb=disconnected,
                reconnected_cb=reconnected,
            )
            return client
        except (OSError, TimeoutError, nats.errors.Error) as error:
            log.warning("the bus at %s does not answer (%s); retrying", config.url, error)
            await asyncio.sleep(backoff)
            backoff = min(MAX_CONNECT_BACKOFF, backoff * 2)


def stream_config(config: BusConfig) -> StreamConfig:
    return StreamConfig(
        name=config.stream,
        subjects=stream_subjects(config.subject_prefix),
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_age=config.max_age_s,
        max_bytes=config.max_bytes,
        duplicate_window=config.duplicate_window_s,
    )


async def ensure_stream(js: JetStreamContext, config: BusConfig) -> None:
    """Create the stream, or bring an existing one to these limits (subjects, age, window)."""
    wanted = stream_config(config)
    try:
        await js.stream_info(config.stream)
    except NotFoundError:
        await js.add_stream(config=wanted)
        log.info("created the JetStream stream %s", config.stream)
        return
    await js.update_stream(config=wanted)


async def _log_error(error: Exception) -> None:
    log.debug("bus connection: %s", error)

