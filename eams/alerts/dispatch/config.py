"""The routing document: receivers (each one channel) and the routing tree, as in alertmanager.yml.

```yaml
receivers:
  - name: ops-mail
    email: {to: [noc@example.gov.vn], from: eams@example.gov.vn, host: smtp.example, password: ...}
  - name: soc-hook
    webhook: {url: https://bridge.example/hook, secret: ...}
route:                      # the root catches everything
  receiver: ops-mail
  group_by: [alertname, device]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - matchers: [{name: category, value: security}]
      receiver: soc-hook
      escalate: [{after: 30m, receiver: soc-lead-mail}]
```
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from eams.alerts.matchers import Matcher
from eams.alerts.notify.base import Channel
from eams.alerts.notify.email import EmailChannel, EmailConfig
from eams.alerts.notify.log import LogChannel, LogConfig
from eams.alerts.notify.webhook import WebhookChannel, WebhookConfig
from eams.alerts.rules.spec import Duration

# Which fields of which channel are secrets (sealed at rest, never shown by the API).
SECRET_FIELDS = {"email": ("password",), "webhook": ("secret",)}
REDACTED = "********"


class ReceiverConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")
    email: EmailConfig | None = None
    webhook: WebhookConfig | None = None
    log: LogConfig | None = None

    @model_validator(mode="after")
    def _one_channel(self) -> ReceiverConfig:
        given = [k for k in ("email", "webhook", "log") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"receiver {self.name}: give exactly one of email, webhook, log")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("email", "webhook", "log") if getattr(self, k) is not None)

    def channel(self) -> Channel:
        if self.email is not None:
            return EmailChannel(self.email)
        if self.webhook is not None:
            return WebhookChannel(self.webhook)
        return LogChannel(self.log or LogConfig())


class EscalationStep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    after: Duration
    receiver: str


class RouteConfig(BaseModel):
    """One node of the tree. Unset timings and group_by are inherited from the parent."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    receiver: str | None = None
    matchers: list[Matcher] = Field(default_factory=list)
    group_by: list[str] | None = None
    group_wait: Duration | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None
    escalate: list[EscalationStep] = Field(default_factory=list)
    continue_: bool = Field(default=False, alias="continue")
    routes: list[RouteConfig] = Field(default_factory=list)


class RoutingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    receivers: list[ReceiverConfig] = Field(
        default_factory=lambda: [ReceiverConfig(name="log", log=LogConfig())]
    )
    route: RouteConfig = Field(default_factory=lambda: RouteConfig(receiver="log"))

    @model_validator(mode="after")
    def _references(self) -> RoutingConfig:
        names = [r.name for r in self.receivers]
        if len(set(names)) != len(names):
            raise ValueError("receivers: names must be unique")
        if self.route.receiver is None:
            raise ValueError("route.receiver: the root route needs a receiver")
        known = set(names)

        def walk(node: RouteConfig, path: str) -> None:
            for name in [node.receiver, *(step.receiver for step in node.escalate)]:
                if name is not None and name not in known:
                    raise ValueError(f"{path}: receiver {name!r} is not defined")
            for index, child in enumerate(node.routes):
                walk(child, f"{path}.routes.{index}")

        walk(self.route, "route")
        return self

    # -- secrets at rest ---------------------------------------------------------------------
    def split_secrets(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The document without secrets, and the secrets keyed `receiver.field`."""
        document = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        secrets: dict[str, str] = {}
        for receiver in document["receivers"]:
            for kind, fields in SECRET_FIELDS.items():
                channel = receiver.get(kind)
                for name in fields if channel else ():
                    value = channel.pop(name, None)
                    if value and value != REDACTED:
                        secrets[f"{receiver['name']}.{name}"] = value
        return document, secrets

    @classmethod
    def from_stored(cls, document: dict[str, Any], secrets: dict[str, str]) -> RoutingConfig:
        merged = {**document, "receivers": [dict(r) for r in document.get("receivers", [])]}
        for receiver in merged["receivers"]:
            for kind, fields in SECRET_FIELDS.items():
                if receiver.get(kind) is None:
                    continue
                receiver[kind] = dict(receiver[kind])
                for name in fields:
                    value = secrets.get(f"{receiver['name']}.{name}")
                    if value is not None:
                        receiver[kind][name] = value
        return cls.model_validate(merged)

    def redacted(self) -> dict[str, Any]:
        document, secrets = self.split_secrets()
        for receiver in document["receivers"]:
            for kind, fields in SECRET_FIELDS.items():
                for name in fields:
                    if f"{receiver['name']}.{name}" in secrets:
                        receiver[kind][name] = REDACTED
        return document
