"""One SSH session to one device with netmiko (synchronous: the runner calls this in a worker thread).

Opens the TCP connection itself (so "unreachable" is told apart from "slow"), checks the host key
before authenticating, enters privileged mode when the platform needs it, and turns netmiko's and
paramiko's exceptions into the typed errors of `collectors.ssh.errors`.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import paramiko
from netmiko import BaseConnection, ConnectHandler
from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadException,
    ReadTimeout,
)

from collectors.ssh.errors import (
    AuthenticationFailed,
    CommandFailed,
    ConnectTimeout,
    HostKeyChanged,
    HostUnreachable,
    UnknownPrompt,
)
from collectors.ssh.hostkeys import HostKey, TrustOnFirstUse, disabled_host_key_algorithms
from collectors.ssh.platforms import Platform
from collectors.ssh.target import SshTarget

_KEY_CLASSES: tuple[type[paramiko.PKey], ...] = (paramiko.Ed25519Key, paramiko.RSAKey, paramiko.ECDSAKey)


@dataclass(frozen=True, slots=True)
class Timeouts:
    connect_s: float = 10.0
    read_s: float = 60.0


def load_private_key(text: str, label: str) -> paramiko.PKey:
    for key_class in _KEY_CLASSES:
        try:
            return key_class.from_private_key(io.StringIO(text))
        except (paramiko.SSHException, ValueError):
            continue
    raise AuthenticationFailed(label, "the credentials profile's private_key is not a key paramiko can read")


class DeviceSession:
    """An open, authenticated session; `presented_key` is the host key the device showed."""

    def __init__(self, connection: BaseConnection, target: SshTarget, presented_key: HostKey | None):
        self.connection = connection
        self.target = target
        self.presented_key = presented_key

    def run(self, command: str, read_timeout: float, verify_echo: bool = True) -> str:
        """The command's output. Long scripts wrap on the terminal, so their echo cannot be
        verified: pass verify_echo=False and make their output self-delimiting."""
        try:
            output = self.connection.send_command(
                command, read_timeout=read_timeout, strip_command=verify_echo, cmd_verify=verify_echo
            )
        except ReadTimeout as exc:
            raise UnknownPrompt(
                self.target.label,
                f"no prompt came back after {command!r} within {read_timeout:.0f}s: {_first_line(exc)}",
            ) from None
        except (ReadException, OSError, EOFError, paramiko.SSHException) as exc:
            raise CommandFailed(self.target.label, f"{command!r} failed: {_first_line(exc)}") from None
        return str(output)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _open_socket(target: SshTarget, timeout: float) -> socket.socket:
    try:
        return socket.create_connection((target.host, target.port), timeout=timeout)
    except ConnectionRefusedError:
        raise HostUnreachable(target.label, "connection refused (no SSH server on that port)") from None
    except TimeoutError:
        raise HostUnreachable(target.label, f"no answer to TCP connect within {timeout:.0f}s") from None
    except OSError as exc:
        raise HostUnreachable(target.label, f"cannot connect: {exc.strerror or exc}") from None


@contextmanager
def device_session(
    target: SshTarget, platform: Platform, known: HostKey | None, timeouts: Timeouts
) -> Iterator[DeviceSession]:
    """An authenticated session, closed on exit. Raises a `SshError` subclass on failure."""
    pkey = load_private_key(target.private_key, target.label) if target.private_key else None
    policy = TrustOnFirstUse(target.label, known)
    sock = _open_socket(target, timeouts.connect_s)
    connection = ConnectHandler(
        device_type=platform.netmiko_device_type,
        host=target.host,
        port=target.port,
        username=target.username,
        password=target.password or "",
        secret=target.enable_secret or "",
        pkey=pkey,
        use_keys=False,  # the key comes from the credentials profile (pkey), never ~/.ssh
        allow_agent=False,
        sock=sock,
        ssh_strict=False,
        system_host_keys=False,
        alt_host_keys=False,
        disabled_algorithms=disabled_host_key_algorithms(known),
        conn_timeout=timeouts.connect_s,
        auth_timeout=timeouts.connect_s,
        banner_timeout=timeouts.connect_s,
        read_timeout_override=None,
        fast_cli=True,
        auto_connect=False,
    )
    connection.key_policy = policy
    try:
        try:
            connection._open()
            if platform.enable and not connection.check_enable_mode():
                connection.enable()
        except HostKeyChanged:
            raise
        except NetmikoAuthenticationException as exc:
            raise AuthenticationFailed(
                target.label, f"the device refused user {target.username!r}: {_last_line(exc)}"
            ) from None
        except NetmikoTimeoutException as exc:
            raise ConnectTimeout(target.label, f"SSH session did not open: {_meaningful(exc)}") from None
        except ReadTimeout as exc:
            raise UnknownPrompt(
                target.label, f"no prompt recognised after login: {_first_line(exc)}"
            ) from None
        except ValueError as exc:
            # netmiko: "Unable to find prompt" / "Failed to enter enable mode" are ValueErrors.
            raise UnknownPrompt(target.label, _first_line(exc)) from None
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise ConnectTimeout(target.label, f"SSH session broke: {_first_line(exc)}") from None
        yield DeviceSession(connection, target, policy.presented)
    finally:
        _close(connection, sock)


def _last_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def _meaningful(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for line in lines:
        if "paramiko" not in line.lower() and "occurred" not in line.lower():
            return line
    return lines[0] if lines else type(exc).__name__


def _close(connection: BaseConnection, sock: socket.socket) -> None:
    try:
        if getattr(connection, "remote_conn", None) is not None:
            connection.disconnect()
        else:
            connection.paramiko_cleanup()
    except Exception:  # closing a broken session must not hide the original error
        pass
    finally:
        sock.close()
