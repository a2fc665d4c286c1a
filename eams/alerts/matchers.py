"""Label matchers shared by silences and routes: `{name, op, value}` with =, !=, =~, !~.

The label `tag` matches when any of the device's tags does, so a silence can say "every device
tagged core".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator


class Matcher(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    value: str
    op: Literal["=", "!=", "=~", "!~"] = "="

    @model_validator(mode="after")
    def _regex_compiles(self) -> Matcher:
        if self.op in ("=~", "!~"):
            try:
                _regex(self.value)
            except re.error as exc:
                raise ValueError(f"{self.value!r} is not a regular expression: {exc}") from None
        return self

    def matches(self, labels: Mapping[str, Any]) -> bool:
        if self.name == "tag":
            candidates = [str(t) for t in labels.get("tags") or ()]
        else:
            found = labels.get(self.name)
            candidates = [] if found is None else [str(found)]
        if self.op == "=":
            return self.value in candidates
        if self.op == "!=":
            return self.value not in candidates
        pattern = _regex(self.value)
        hit = any(pattern.fullmatch(c) for c in candidates)
        return hit if self.op == "=~" else not hit


@lru_cache(maxsize=1024)
def _regex(text: str) -> re.Pattern[str]:
    return re.compile(text)


def all_match(matchers: list[Matcher], labels: Mapping[str, Any]) -> bool:
    return all(m.matches(labels) for m in matchers)
