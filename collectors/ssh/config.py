"""Settings of the SSH collector: the `ssh` section of the service's settings tree
(`EAMS_SSH_*` environment variables or `ssh:` in the EAMS_CONFIG file; see README.md).

Defined here so that the collector's knobs live with the collector; the service composes them."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class SshConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    enabled: bool = Field(True, description="Run scheduled backups and Linux polling in the service")
    backup_interval_s: int = Field(3600, ge=60, description="Seconds between scheduled configuration backups")
    metrics_interval_s: int = Field(60, ge=10, description="Seconds between Linux metric polls")
    workers: int = Field(16, ge=1, le=256, description="SSH sessions at once (threads in the pool)")
    device_timeout_s: float = Field(90.0, gt=0, description="Whole budget for one device's job")
    connect_timeout_s: float = Field(10.0, gt=0, description="TCP connect, SSH banner and auth timeout")
    read_timeout_s: float = Field(60.0, gt=0, description="Longest wait for one command's output")
    backup_alert_after_s: int = Field(
        86400, ge=60, description="No successful backup for this long raises a backup_failed event"
    )
    platforms_dir: Path | None = Field(None, description="Folder of extra or replacing platform YAML files")
    redactions_file: Path | None = Field(
        None, description='YAML {platform or "all": [regex ...]} of extra secret patterns'
    )
