"""Service settings: one tree, from environment variables `EAMS_*`, an optional config file, and
defaults that just work.

With no configuration at all the service keeps everything under `./var/`: a SQLite database,
the metrics spool and the secret key used to encrypt credentials.

Each area's settings are a section (a pydantic model defined beside the code it configures):
`influx`, `snmp`, `ssh`, `trap`, `alert`, `collector`, `bus`. A section's field is set by
`EAMS_<SECTION>_<FIELD>` (`EAMS_SNMP_INTERVAL_S=5`) or by a nested key in the EAMS_CONFIG file
(`snmp: {interval_s: 5}`). Nothing else in the code reads the environment.
"""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
    YamlConfigSettingsSource,
)

from collectors.bus.config import BusConfig
from collectors.remote.config import CollectorWatchConfig
from collectors.sinks.config import InfluxConfig
from collectors.sinks.store.config import MetricsConfig
from collectors.snmp.config import SnmpConfig
from collectors.ssh.config import SshConfig
from collectors.syslog.config import SyslogConfig
from collectors.traps.config import TrapConfig
from eams.alerts.config import AlertConfig
from eams.auth.config import AuthConfig

CONFIG_FILE_ENV = "EAMS_CONFIG"


class Settings(BaseSettings):
    """Everything the service and the in-process collectors need to start."""

    # `EAMS_SNMP_INTERVAL_S` -> snmp.interval_s: split once after the section name, so that field
    # names keep their underscores; top-level names (`EAMS_DATA_DIR`) are matched whole.
    model_config = SettingsConfigDict(
        env_prefix="EAMS_", env_nested_delimiter="_", env_nested_max_split=1, extra="ignore"
    )

    data_dir: Path = Field(default=Path("var"), description="Where the SQLite file, spool and key live")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default sqlite:///<data_dir>/eams.sqlite3"
    )
    database_pool_size: int = Field(
        default=30, ge=2, le=1000, description="Database connections the service keeps open at most"
    )
    database_pool_reserved: int = Field(
        default=8,
        ge=1,
        description="Of those, how many API requests can never take: room for the collectors, the "
        "alert engine and the sinks, so that busy pages never stop monitoring",
    )
    database_pool_timeout_s: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="How long a request waits for a connection before it answers 503 with Retry-After",
    )
    loop_lag_alert_s: float = Field(
        default=1.0, gt=0, description="Event-loop lag past which the event-loop-lagging alert fires"
    )
    loop_lag_report_s: float = Field(
        default=10.0, gt=0, description="How often the event loop's lag is recorded as a metric"
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that encrypts credentials at rest; generated into <data_dir>/secret.key if unset",
    )
    spool_max_bytes: int = Field(
        default=1 << 30, ge=1 << 20, description="Bound of the on-disk metrics spool; oldest dropped past it"
    )
    log_level: str = "info"
    public_url: str | None = Field(
        default=None, description="Where people reach the service (https:// makes cookies Secure)"
    )

    influx: InfluxConfig = Field(default_factory=InfluxConfig)
    snmp: SnmpConfig = Field(default_factory=SnmpConfig)
    ssh: SshConfig = Field(default_factory=SshConfig)
    trap: TrapConfig = Field(default_factory=TrapConfig)
    alert: AlertConfig = Field(default_factory=AlertConfig)
    collector: CollectorWatchConfig = Field(default_factory=CollectorWatchConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig, description="Accounts, sessions, MFA, LDAP, audit")
    # The metrics read path: embedded store and queries (collectors/sinks/store/config.py).
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    # Syslog intake (collectors/syslog/README.md); off unless listen or tls_listen is set.
    syslog: SyslogConfig = Field(default_factory=SyslogConfig, description="EAMS_SYSLOG_* settings")
    # The NATS JetStream bus between collectors and service instances (collectors/bus/README.md).
    bus: BusConfig = Field(default_factory=BusConfig, description="EAMS_BUS_* settings; off by default")

    @field_validator("database_url")
    @classmethod
    def _normalise_postgres_driver(cls, url: str | None) -> str | None:
        # Operators paste libpq URLs; we always talk to PostgreSQL through psycopg 3.
        if url and url.startswith(("postgres://", "postgresql://")):
            return "postgresql+psycopg://" + url.split("://", 1)[1]
        return url

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get(CONFIG_FILE_ENV)
        if config_file:
            path = Path(config_file)
            if path.suffix in {".yaml", ".yml"}:
                sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=path))
            else:
                sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def api_connections(self) -> int:
        """Connections API requests may hold at once (the pool less the reserved room)."""
        return max(1, self.database_pool_size - self.database_pool_reserved)

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'eams.sqlite3').as_posix()}"

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    @property
    def metrics_dir(self) -> Path:
        return self.data_dir / "metrics"

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the data folder (mode 0600)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        key_file = self.data_dir / "secret.key"
        if key_file.exists():
            return key_file.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
        return key

    def ensure_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)


def load_settings(**overrides: Any) -> Settings:
    """Read settings fresh (no module-level singleton: tests and CLI build their own)."""
    return Settings(**overrides)
