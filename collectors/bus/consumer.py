"""The service side of the bus: durable pull consumers, one per partition, into the pipeline.

Each partition has its own durable consumer (`<consumer>-p<N>`, filter `<prefix>.*.<N>`), so one
device's samples and events come in the order they were published, and a partition can later be
led by one service instance among several. A message is acknowledged only after the pipeline's
consumers (the InfluxDB sink, the alert engine ...) have taken its batch; one the service dies
holding is delivered again after `ack_wait_s`. A message that is not a batch is terminated and
counted: it can never succeed.

Discovered facts (`<prefix>.facts.<N>`) go to `stage_facts` (the service stages them in the
inventory) and are acknowledged after that transaction committed; if it fails (the database is
away) the message is not acknowledged and comes again after `ack_wait_s`. The staging is keyed,
so a redelivery of facts already committed stages nothing new.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from collectors.bus import messages
from collectors.bus.config import BusConfig
from collectors.bus.connection import connect, ensure_stream
from collectors.bus.settle import Settle, SharedSettle
from collectors.bus.subjects import partition_filter
from collectors.samples import Event, Sample
from inventory.discovery import Observation

log = logging.getLogger(__name__)

MAX_SETTLING = 8  # fetches of one partition waiting for the sinks at once
SETTLE_ON_STOP_S = 5.0
TAKEN_REMEMBERED = 100_000  # message ids kept to recognise a message already handed on

PublishSamples = Callable[[list[Sample]], Awaitable[None]]
PublishEvent = Callable[[Event], Awaitable[None]]
StageFacts = Callable[[list[Observation]], Awaitable[None]]


@dataclass
class ConsumerStats:
    messages: int = 0  # acknowledged
    samples: int = 0
    events: int = 0
    facts: int = 0  # observations staged
    facts_ignored: int = 0  # observations that came to a consumer with nowhere to stage them
    stage_errors: int = 0  # staging failed: the message was left unacknowledged, to come again
    settle_errors: int = 0  # the sinks failed to settle: the fetch was left unacknowledged
    redelivered: int = 0  # delivered more than once (a consumer died holding it, or ack_wait passed)
    duplicates: int = 0  # delivered again after this consumer had taken it (its ack was lost): skipped
    rejected: int = 0  # not a batch: terminated
    fetch_errors: int = 0
    last_error: str | None = None


class _Skipped:
    """A redelivery of a message already handed on (its ack was lost): acknowledged, not handed on."""


SKIPPED = _Skipped()


class BusConsumer:
    name = "bus consumer"

    def __init__(
        self,
        config: BusConfig,
        publish_samples: PublishSamples,
        publish_event: PublishEvent,
        *,
        partitions: Iterable[int] | None = None,
        fetch_timeout_s: float = 1.0,
        stage_facts: StageFacts | None = None,
        settle: Settle | None = None,
    ) -> None:
        self.config = config
        # Awaited before a fetch's messages are acknowledged: the sinks hold them durably then.
        # One settle serves every partition's fetches that wait at the same time.
        self.settle = SharedSettle(settle) if settle is not None else None
        self.publish_samples = publish_samples
        self.publish_event = publish_event
        self.stage_facts = stage_facts
        self.partitions = (
            sorted(set(partitions)) if partitions is not None else list(range(config.partitions))
        )
        self.fetch_timeout_s = fetch_timeout_s
        self.stats = ConsumerStats()
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._ready = asyncio.Event()
        self._loops: dict[int, tuple[asyncio.Task[None], asyncio.Event]] = {}
        self._generation = 0  # bumped at every reconnection
        # Message ids (the publisher's Nats-Msg-Id, fixed when the batch was sealed) this consumer
        # handed on. An ack the bus lost brings the message again: as a redelivery (killed right
        # after the ack was sent), or as a first delivery (killed before it wrote its consumers'
        # acks to disk). Stream sequences would not do: a bus restarted on an empty store numbers
        # its messages from 1 again.
        self._taken: OrderedDict[str, None] = OrderedDict()

    def durable_name(self, partition: int) -> str:
        return f"{self.config.consumer}-p{partition}"

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run())]

    async def wait_ready(self) -> None:
        """Until the stream and the consumers exist (for tests and ordered start-ups)."""
        await self._ready.wait()

    async def set_partitions(self, partitions: Iterable[int]) -> None:
        """Consume exactly these partitions from now on (leadership moved). A partition given up
        finishes the batch in hand first; what it fetched and did not ack comes to the next leader
        after `ack_wait_s`."""
        self.partitions = sorted(set(partitions))
        if self._ready.is_set():
            await self._sync_loops()

    async def stop(self) -> None:
        await self._stop_loops(list(self._loops))
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await self._nc.close()
        self._nc = self._js = None

    async def _run(self) -> None:
        # Connecting waits for the bus; the stream is declared here too, so the service may start
        # before any collector.
        self._nc = await connect(self.config, "eams service", on_reconnect=self._reconnected)
        self._js = self._nc.jetstream(timeout=10)
        while True:
            try:
                await ensure_stream(self._js, self.config)
                break
            except (TimeoutError, nats.errors.Error) as error:
                self._fetch_failed(error)
                await asyncio.sleep(1.0)
        self._ready.set()
        await self._sync_loops()

    async def _sync_loops(self) -> None:
        wanted = set(self.partitions)
        await self._stop_loops([p for p in self._loops if p not in wanted])
        for partition in sorted(wanted - set(self._loops)):
            stopping = asyncio.Event()
            task = asyncio.create_task(self._consume(partition, stopping))
            self._loops[partition] = (task, stopping)

    async def _stop_loops(self, partitions: list[int]) -> None:
        for partition in partitions:
            self._loops[partition][1].set()
        for partition in partitions:
            task, _ = self._loops.pop(partition)
            try:
                await asyncio.wait_for(task, timeout=self.fetch_timeout_s + 10)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()

    async def _subscribe(self, js: JetStreamContext, partition: int) -> JetStreamContext.PullSubscription:
        durable = self.durable_name(partition)
        config = ConsumerConfig(
            durable_name=durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self.config.ack_wait_s,
            filter_subject=partition_filter(self.config.subject_prefix, partition),
            max_ack_pending=max(1000, self.config.fetch_batch * 4),
        )
        return await js.pull_subscribe(
            config.filter_subject or "", durable=durable, stream=self.config.stream, config=config
        )

    async def _consume(self, partition: int, stopping: asyncio.Event) -> None:
        assert self._js is not None
        subscription: JetStreamContext.PullSubscription | None = None
        generation = self._generation
        # Fetches handed on and waiting for the sinks to settle before their acks: the loop
        # fetches on meanwhile (a settle is an fsync'ed spool write or an InfluxDB request; one
        # at a time per partition, the consumer fell minutes behind at 20,000 devices).
        settling: set[asyncio.Task[None]] = set()
        try:
            while not stopping.is_set():
                if self._generation != generation:
                    # Reconnected: the server may have lost the stream and the consumers (an
                    # empty store); declare both again before the next fetch.
                    generation = self._generation
                    subscription = await self._resubscribe(subscription)
                try:
                    if subscription is None:
                        subscription = await self._subscribe(self._js, partition)
                    batch = await subscription.fetch(self.config.fetch_batch, timeout=self.fetch_timeout_s)
                except TimeoutError:
                    continue  # nothing new in this partition
                except (nats.errors.Error, OSError) as error:
                    self._fetch_failed(error)
                    await asyncio.sleep(0.5)
                    continue
                waiting = await self._handle_all(batch)
                if waiting is not None:
                    settling.add(waiting)
                    waiting.add_done_callback(settling.discard)
                    if len(settling) >= MAX_SETTLING:
                        await asyncio.wait(settling, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await self._finish_settling(settling)
            if subscription is not None:
                with contextlib.suppress(Exception):
                    await subscription.unsubscribe()

    def _reconnected(self) -> None:
        self._generation += 1

    async def _resubscribe(
        self, subscription: JetStreamContext.PullSubscription | None
    ) -> JetStreamContext.PullSubscription | None:
        assert self._js is not None
        if subscription is not None:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
        with contextlib.suppress(TimeoutError, nats.errors.Error):
            await ensure_stream(self._js, self.config)
        return None

    async def _handle_all(self, fetched: list[Msg]) -> asyncio.Task[None] | None:
        """Hand a fetch's messages on in order, then acknowledge them once the sinks settled
        (`settle`: the InfluxDB sink has written or spooled them); the task that does that when
        they must settle first. A service killed before the acknowledgements loses nothing: the
        bus delivers the batch again to the next leader."""
        taken = [(message, took) for message in fetched if (took := await self._take(message)) is not None]
        if not taken:
            return None
        if self.settle is not None and any(
            isinstance(took, messages.Batch) and took.samples for _, took in taken
        ):
            return asyncio.create_task(self._settle_then_acknowledge(taken))
        for message, took in taken:
            await self._acknowledge(message, took)
        return None

    async def _settle_then_acknowledge(self, taken: list[tuple[Msg, messages.Batch | _Skipped]]) -> None:
        assert self.settle is not None
        try:
            await self.settle()
        except Exception as error:  # left unacknowledged: the bus brings them again
            self.stats.settle_errors += 1
            log.warning("sinks not settled, %d bus messages left unacknowledged: %s", len(taken), error)
            return
        for message, took in taken:
            await self._acknowledge(message, took)

    async def _finish_settling(self, settling: set[asyncio.Task[None]]) -> None:
        """A loop that ends (a stop, a partition handed over) acknowledges what settles within
        SETTLE_ON_STOP_S; the rest stays unacknowledged, for the bus to bring again."""
        if not settling:
            return
        try:
            await asyncio.wait(set(settling), timeout=SETTLE_ON_STOP_S)
        finally:
            for task in list(settling):
                task.cancel()

    async def _handle(self, message: Msg) -> None:
        waiting = await self._handle_all([message])
        if waiting is not None:
            await waiting

    async def _take(self, message: Msg) -> messages.Batch | _Skipped | None:
        """Hand one message on; what to acknowledge it with (None: leave it unacknowledged)."""
        try:
            batch = messages.decode(message.data)
        except messages.BadMessage as error:
            log.error("a bus message on %s is not a batch, dropping it: %s", message.subject, error)
            self.stats.rejected += 1
            await message.term()
            return None
        if message.metadata.num_delivered and message.metadata.num_delivered > 1:
            self.stats.redelivered += 1
        msg_id = _message_id(message)
        if msg_id is not None and msg_id in self._taken:
            self.stats.duplicates += 1
            return SKIPPED
        if batch.samples:
            await self.publish_samples(batch.samples)
        for event in batch.events:
            await self.publish_event(event)
        if batch.facts:
            if self.stage_facts is None:
                self.stats.facts_ignored += len(batch.facts)
            else:
                try:
                    await self.stage_facts(batch.facts)
                except Exception as error:  # not committed: left unacknowledged, it comes again
                    self.stats.stage_errors += 1
                    log.warning("staging %d discovered facts failed: %s", len(batch.facts), error)
                    return None
        return batch

    async def _acknowledge(self, message: Msg, took: messages.Batch | _Skipped) -> None:
        if isinstance(took, _Skipped):
            with contextlib.suppress(nats.errors.Error, OSError):
                await message.ack()
            return
        batch = took
        msg_id = _message_id(message)
        try:
            await message.ack()
        except (nats.errors.Error, OSError) as error:
            # Not acknowledged: it comes again after ack_wait_s; the sink keeps one point per
            # series and time, so the replay is harmless.
            self._fetch_failed(error)
            return
        if msg_id is not None:
            self._taken[msg_id] = None
            while len(self._taken) > TAKEN_REMEMBERED:
                self._taken.popitem(last=False)
        self.stats.messages += 1
        self.stats.samples += len(batch.samples)
        self.stats.events += len(batch.events)
        self.stats.facts += len(batch.facts) if self.stage_facts is not None else 0

    def _fetch_failed(self, error: BaseException) -> None:
        self.stats.fetch_errors += 1
        self.stats.last_error = str(error) or type(error).__name__
        log.warning("reading the bus failed: %s", self.stats.last_error)


def _message_id(message: Msg) -> str | None:
    """The publisher's id of the batch (None for a message published without one)."""
    return message.headers.get("Nats-Msg-Id") if message.headers else None
