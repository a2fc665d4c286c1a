"""Settings of the service's watch over remote collectors: the `collector` section of the settings
tree (`EAMS_COLLECTOR_SILENT_AFTER`, `EAMS_COLLECTOR_SITE_LEASE`, `EAMS_COLLECTOR_CHECK_INTERVAL`,
or `collector:` in the EAMS_CONFIG file)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CollectorWatchConfig(BaseModel):
    # `eams collect` reads EAMS_COLLECTOR_TOKEN and EAMS_COLLECTOR_NAME itself: not settings.
    model_config = ConfigDict(extra="ignore")

    silent_after: float = Field(
        300.0, gt=0, allow_inf_nan=False, description="A collector unheard of this long is silent"
    )
    site_lease: float = Field(
        60.0,
        gt=0,
        allow_inf_nan=False,
        description="A site's collector unheard of this long may be replaced by one standing by",
    )
    check_interval: float | None = Field(
        None,
        gt=0,
        allow_inf_nan=False,
        description="Seconds between checks (default: silent_after / 2, at most 30)",
    )

    @property
    def check_s(self) -> float:
        return self.check_interval if self.check_interval is not None else min(30.0, self.silent_after / 2)
