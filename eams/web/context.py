"""What every page knows about its request: who is signed in, the language, the CSRF token, the
menu that person may use."""

from __future__ import annotations

from dataclasses import dataclass, field

from eams.auth import Permission, Principal


@dataclass(frozen=True)
class MenuItem:
    href: str
    label: str  # a catalogue msgid, translated in the layout
    permission: Permission


# The menu shows only what the role may open; the routes check the same permission again.
MENU: tuple[MenuItem, ...] = (
    MenuItem("/", "Overview", Permission.read),
    MenuItem("/devices", "Devices", Permission.read),
    MenuItem("/alerts", "Alerts", Permission.read_alerts),
    MenuItem("/syslog", "Syslog", Permission.read_alerts),
    MenuItem("/agencies", "Agencies", Permission.read),
    MenuItem("/systems", "Systems", Permission.read),
    MenuItem("/impact", "Impact", Permission.read),
    MenuItem("/reports", "Reports", Permission.read),
    MenuItem("/admin", "Administration", Permission.manage_tokens),
)


@dataclass(frozen=True)
class Crumb:
    label: str  # already translated, or an object's own name
    href: str | None = None


@dataclass
class PageContext:
    language: str
    caller: Principal | None = None
    csrf_token: str = ""
    path: str = "/"
    query: str = ""
    crumbs: list[Crumb] = field(default_factory=list)

    def can(self, permission: Permission | str) -> bool:
        return self.caller is not None and self.caller.can(Permission(permission))

    @property
    def menu(self) -> list[MenuItem]:
        return [item for item in MENU if self.can(item.permission)]

    @property
    def here(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")
