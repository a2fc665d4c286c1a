"""What can go wrong talking to a device over SSH, as a small hierarchy of typed errors."""

from __future__ import annotations


class SshError(Exception):
    """Base class; `kind` is a stable short name used in events, the API and the CLI."""

    kind = "error"

    def __init__(self, target: str, message: str) -> None:
        super().__init__(f"{target}: {message}")
        self.target = target
        self.message = message


class HostUnreachable(SshError):
    kind = "unreachable"


class ConnectTimeout(SshError):
    kind = "timeout"


class AuthenticationFailed(SshError):
    kind = "auth_failed"


class UnknownPrompt(SshError):
    kind = "unknown_prompt"


class HostKeyChanged(SshError):
    """The device presented another host key than the one trusted on first use."""

    kind = "host_key_changed"

    def __init__(self, target: str, known: str, presented: str) -> None:
        super().__init__(
            target,
            f"the SSH host key changed (trusted {known}, presented {presented}); the session was "
            "refused. If the device was replaced or re-keyed on purpose, forget the old key with "
            "`eams ssh forget-host-key`.",
        )
        self.known = known
        self.presented = presented


class NotConfigured(SshError):
    """The inventory lacks what an SSH session needs (address, credentials, platform)."""

    kind = "not_configured"


class CommandFailed(SshError):
    kind = "command_failed"
