"""Settings of the InfluxDB sink: the `influx` section of the service's settings tree
(`EAMS_INFLUX_URL`, `EAMS_INFLUX_TOKEN`, `EAMS_INFLUX_ORG`, `EAMS_INFLUX_BUCKET`,
`EAMS_INFLUX_TIMEOUT`, or `influx:` in the EAMS_CONFIG file), and the sink they build.

With no `url` the sink writes the durable spool only; once a url is configured the spool is
replayed into it at the next start.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from collectors.sinks.influx import InfluxTarget, InfluxWriter, SpoolingInfluxSink
from collectors.sinks.spool import Spool


class InfluxConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: str | None = Field(None, description="InfluxDB base URL; unset means metrics wait in the spool")
    token: SecretStr | None = Field(None, description="API token (InfluxDB 1.8+: user:password)")
    org: str = "eams"
    bucket: str = "eams"
    timeout: float = Field(10.0, gt=0, description="Seconds one InfluxDB write may take")

    def target(self) -> InfluxTarget | None:
        """Where to write, or None when no url is configured (spool only)."""
        if not self.url:
            return None
        token = self.token.get_secret_value() if self.token else ""
        return InfluxTarget(url=self.url, token=token, org=self.org, bucket=self.bucket, timeout=self.timeout)


def build_influx_sink(influx: InfluxConfig, spool_dir: Path, spool_max_bytes: int) -> SpoolingInfluxSink:
    """The spooling sink the service and remote collectors run: the spool in `spool_dir/influx`."""
    spool = Spool(spool_dir / "influx", max_bytes=spool_max_bytes)
    target = influx.target()
    return SpoolingInfluxSink(spool, InfluxWriter(target) if target else None)
