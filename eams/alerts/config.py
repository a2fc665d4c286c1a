"""Settings of the alert engine: the `alert` section of the service's settings tree
(`EAMS_ALERT_RULE_PATHS`, or `alert:` in the EAMS_CONFIG file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import NoDecode


class AlertConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    # NoDecode: the environment variable is a ':'-separated list of paths, not JSON.
    rule_paths: Annotated[list[Path], NoDecode] = Field(
        default_factory=list, description="Extra rule files or folders on top of the shipped rules"
    )

    @field_validator("rule_paths", mode="before")
    @classmethod
    def _colon_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in value.split(":") if part]
        return value
