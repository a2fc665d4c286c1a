"""Settings of the NATS JetStream bus: the `bus` section of the settings tree (`EAMS_BUS_ENABLED`,
`EAMS_BUS_URL`, `EAMS_BUS_STREAM`, `EAMS_BUS_PARTITIONS` ..., or `bus:` in the EAMS_CONFIG file).

Off by default: the embedded single process needs no bus. With `enabled` the service consumes the
stream; `eams collect --bus URL` makes a collector publish to it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class BusConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    enabled: bool = Field(False, description="Consume samples and events from NATS JetStream")
    url: str = Field("nats://127.0.0.1:4222", description="NATS server URL(s), comma separated")
    stream: str = Field("EAMS", pattern=r"^[A-Za-z0-9_-]+$", description="JetStream stream name")
    subject_prefix: str = Field("eams", pattern=r"^[A-Za-z0-9_-]+$", description="First subject token")
    partitions: int = Field(16, ge=1, le=1024, description="Partitions (devices hashed onto them)")
    consumer: str = Field("eams-service", pattern=r"^[A-Za-z0-9_-]+$", description="Durable consumer prefix")
    duplicate_window_s: float = Field(
        600.0, gt=0, description="How long JetStream remembers message ids (a retry in it is stored once)"
    )
    max_age_s: float = Field(7 * 86400.0, gt=0, description="Messages older than this leave the stream")
    max_bytes: int = Field(1 << 30, ge=1 << 20, description="Bound of the stream on the NATS server")
    ack_wait_s: float = Field(30.0, gt=0, description="Unacknowledged this long: delivered again")
    fetch_batch: int = Field(64, ge=1, le=10_000, description="Messages one pull fetches")
    leadership: bool = Field(
        True, description="On PostgreSQL, each partition is consumed by one service instance at a time"
    )
    leadership_interval_s: float = Field(
        2.0, gt=0, description="Seconds between tries to take free partitions (bounds the failover)"
    )
    max_partitions: int | None = Field(
        None, ge=1, description="Most partitions one instance leads (default: all it can get)"
    )
    flush_interval_s: float = Field(1.0, gt=0, description="Collector side: seconds between batches")
    publish_timeout_s: float = Field(5.0, gt=0, description="Collector side: wait this long for a PubAck")

    def servers(self) -> list[str]:
        return [url.strip() for url in self.url.split(",") if url.strip()]
