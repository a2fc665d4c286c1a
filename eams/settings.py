"""Service settings: environment variables `EAMS_*`, an optional config file, defaults that just work.

With no configuration at all the service keeps everything under `./var/`: a SQLite database,
the metrics spool and the secret key used to encrypt credentials.
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

from collectors.syslog.config import SyslogConfig
from collectors.traps.config import TrapV3User, parse_listen

CONFIG_FILE_ENV = "EAMS_CONFIG"


class Settings(BaseSettings):
    """Everything the service and the in-process collectors need to start."""

    # EAMS_<SECTION>_<FIELD> reaches a section's field: EAMS_SYSLOG_TLS_LISTEN -> syslog.tls_listen
    # (split once after the section's name, so field names keep their underscores).
    model_config = SettingsConfigDict(
        env_prefix="EAMS_", extra="ignore", env_nested_delimiter="_", env_nested_max_split=1
    )

    data_dir: Path = Field(default=Path("var"), description="Where the SQLite file, spool and key live")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default sqlite:///<data_dir>/eams.sqlite3"
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that encrypts credentials at rest; generated into <data_dir>/secret.key if unset",
    )
    influx_url: str | None = None
    influx_token: SecretStr | None = None
    influx_org: str = "eams"
    influx_bucket: str = "eams"
    influx_timeout: float = Field(default=10.0, gt=0, description="Seconds one InfluxDB write may take")
    spool_max_bytes: int = Field(
        default=1 << 30, ge=1 << 20, description="Bound of the on-disk metrics spool; oldest dropped past it"
    )
    log_level: str = "info"
    # SNMP trap receiver (collectors/traps/README.md); off unless trap_listen is set.
    trap_listen: str | None = Field(default=None, description="host:port for traps, e.g. 0.0.0.0:162")
    trap_communities: list[SecretStr] = Field(default_factory=list, description="v1/v2c communities")
    trap_v3_users: list[TrapV3User] = Field(default_factory=list, description="SNMPv3 trap users")
    trap_engine_id: str | None = Field(default=None, description="Receiver engine id (hex) for informs")
    trap_mappings_dir: Path | None = Field(default=None, description="Extra trap mapping files (*.yaml)")
    trap_history_days: float = Field(default=30.0, gt=0, description="How long received traps are kept")
    trap_history_max_rows: int = Field(default=100_000, ge=100, description="At most this many kept")
    # Syslog intake (collectors/syslog/README.md); off unless syslog.listen or syslog.tls_listen is set.
    syslog: SyslogConfig = Field(default_factory=SyslogConfig, description="EAMS_SYSLOG_* settings")

    @field_validator("database_url")
    @classmethod
    def _normalise_postgres_driver(cls, url: str | None) -> str | None:
        # Operators paste libpq URLs; we always talk to PostgreSQL through psycopg 3.
        if url and url.startswith(("postgres://", "postgresql://")):
            return "postgresql+psycopg://" + url.split("://", 1)[1]
        return url

    @field_validator("trap_listen")
    @classmethod
    def _trap_listen_address(cls, value: str | None) -> str | None:
        if value:
            parse_listen(value)  # raises a ValueError that names the problem
        return value

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

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'eams.sqlite3').as_posix()}"

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

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
