"""The routing tree with inherited settings: which route(s), and so which receiver, an alert takes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from eams.alerts.dispatch.config import EscalationStep, RouteConfig
from eams.alerts.matchers import Matcher, all_match

DEFAULT_GROUP_BY = ("alertname", "device")
DEFAULT_GROUP_WAIT = 30.0
DEFAULT_GROUP_INTERVAL = 300.0
DEFAULT_REPEAT_INTERVAL = 4 * 3600.0


@dataclass(eq=False)
class Route:
    id: str
    receiver: str
    matchers: list[Matcher]
    group_by: tuple[str, ...]
    group_wait: float
    group_interval: float
    repeat_interval: float
    escalate: list[EscalationStep]
    continue_: bool
    children: list[Route] = field(default_factory=list)

    def group_labels(self, labels: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
        if self.group_by == ("...",):
            names: tuple[str, ...] = tuple(sorted(k for k in labels if k != "tags"))
        else:
            names = self.group_by
        return tuple((name, str(labels.get(name, ""))) for name in names)

    def match(self, labels: Mapping[str, Any]) -> list[Route]:
        if not all_match(self.matchers, labels):
            return []
        found: list[Route] = []
        for child in self.children:
            hits = child.match(labels)
            if hits:
                found.extend(hits)
                if not child.continue_:
                    break
        return found or [self]


def build_routes(config: RouteConfig, parent: Route | None = None, path: str = "route") -> Route:
    node = Route(
        id=path,
        receiver=config.receiver or (parent.receiver if parent else "log"),
        matchers=list(config.matchers),
        group_by=tuple(config.group_by)
        if config.group_by is not None
        else (parent.group_by if parent else DEFAULT_GROUP_BY),
        group_wait=_pick(config.group_wait, parent.group_wait if parent else None, DEFAULT_GROUP_WAIT),
        group_interval=_pick(
            config.group_interval, parent.group_interval if parent else None, DEFAULT_GROUP_INTERVAL
        ),
        repeat_interval=_pick(
            config.repeat_interval, parent.repeat_interval if parent else None, DEFAULT_REPEAT_INTERVAL
        ),
        escalate=list(config.escalate),
        continue_=config.continue_,
    )
    node.children = [build_routes(child, node, f"{path}.{i}") for i, child in enumerate(config.routes)]
    return node


def _pick(own: float | None, inherited: float | None, default: float) -> float:
    if own is not None:
        return own
    return inherited if inherited is not None else default
