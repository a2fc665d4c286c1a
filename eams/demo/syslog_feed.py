"""The demo's syslog: a short, believable night on the firewall, sent as real datagrams to the
demo's own syslog listener on loopback, so the syslog page has rows and the security team's
syslog rules fire as they would in production.

The lines are written the way each vendor formats them (the shapes of
tests/syslog/testdata/vendor-samples.yaml, which cites the vendors' log references), with the
demo's device names and the time of the run: a FortiGate that sees five failed administrator
sign-ins from one address (the burst rule fires `syslog-admin-login-failed-burst`), a firewall
policy edited afterwards, and a mail server's sshd refusing a guessed user.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket

from eams.i18n.format import LOCAL_ZONE

FIREWALL = "dc-fw-01"
MAIL_SERVER = "dc-srv-mail-01"
ATTACKER = "203.0.113.77"  # TEST-NET-3: an address that exists nowhere
FAILED_SIGN_INS = 5  # what the shipped burst rule counts within 5 minutes
SYSLOG_DELAY_S = 6.0  # after start, so that the intake and the alert engine are up


def fortigate_line(when: dt.datetime, logid: str, level: str, text: str) -> str:
    local = when.astimezone(LOCAL_ZONE)
    return (
        f'<185>date={local:%Y-%m-%d} time={local:%H:%M:%S} devname="{FIREWALL}" devid="FG6H0ETB20900011" '
        f'logid="{logid}" type="event" subtype="system" level="{level}" vd="root" '
        f'eventtime={int(when.timestamp())} tz="+0700" {text}'
    )


def demo_syslog_lines(now: dt.datetime) -> list[tuple[str, str]]:
    """(device name, line) in the order they are sent."""
    lines: list[tuple[str, str]] = []
    for attempt in range(FAILED_SIGN_INS):
        when = now + dt.timedelta(seconds=attempt)
        text = (
            f'logdesc="Admin login failed" sn="0" user="admin" ui="https({ATTACKER})" method="https" '
            f'srcip={ATTACKER} dstip=10.10.0.31 action="login" status="failed" reason="passwd_invalid" '
            f'msg="Administrator admin login failed from https({ATTACKER}) because of invalid password"'
        )
        lines.append((FIREWALL, fortigate_line(when, "0100032002", "alert", text)))
    edited = (
        'logdesc="Object attribute configured" user="admin" ui="GUI(10.10.5.20)" action="Edit" '
        'cfgtid=1507328 cfgpath="firewall.policy" cfgobj="12" cfgattr="action[deny->accept]" '
        'msg="Edit firewall.policy 12"'
    )
    later = now + dt.timedelta(seconds=FAILED_SIGN_INS + 1)
    lines.append((FIREWALL, fortigate_line(later, "0100044547", "information", edited)))
    local = now.astimezone(LOCAL_ZONE)
    lines.append(
        (
            MAIL_SERVER,
            f"<38>{local:%b} {local.day:>2} {local:%H:%M:%S} {MAIL_SERVER} sshd[4242]: "
            f"Failed password for invalid user oracle from {ATTACKER} port 51422 ssh2",
        )
    )
    return lines


async def send_demo_syslog(
    host: str, port: int, sources: dict[str, str], delay_s: float = SYSLOG_DELAY_S
) -> int:
    """Send the demo's lines over UDP to the demo's listener, each from its device's address when
    the device has one here (the lab's loopback addresses: the intake knows a sender by its source
    address first, as in production), else from 127.0.0.1 (then the line's host name tells).
    How many were sent."""
    await asyncio.sleep(delay_s)
    lines = demo_syslog_lines(dt.datetime.now(dt.UTC))
    for device, line in lines:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.bind((sources.get(device, "127.0.0.1"), 0))
            sender.sendto(line.encode("utf-8"), (host, port))
        await asyncio.sleep(0.05)  # one after the other, as a device sends them
    return len(lines)
