"""`eams snmp poll`: poll one device once and print what would be written (the operator's
debugging tool). Needs no database.

It says first who answered and why it reads what it reads: sysName, sysDescr, sysObjectID, the
profile chosen and the prefix or sysDescr pattern that chose it, the fallback columns standing in
for missing ones and the probed MIBs the agent does not answer. As `#` comment lines before the
line protocol (InfluxDB skips them), or under `device` and `profile` at the top of the JSON.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer

from collectors.samples import Sample
from collectors.sinks.lineprotocol import LineEncoder
from collectors.snmp.engine import AUTH_PROTOCOLS, PRIV_PROTOCOLS, Credentials, Endpoint, SnmpVersion
from collectors.snmp.engines import DEFAULT_ENGINE, ENGINE_NAMES, make_engine
from collectors.snmp.poller import Poller, PollResult, PollTarget
from collectors.snmp.profile import ProfileError, ProfileSet
from eams.cli.common import EXIT_USAGE, fail

EXIT_UNREACHABLE = 4
EXIT_AUTH = 5

app = typer.Typer(help="SNMP polling: try a device from the command line.", no_args_is_help=True)


def parse_address(address: str) -> tuple[str, int]:
    host, sep, port_text = address.rpartition(":")
    if not sep or (host.endswith("]") is False and ":" in host):
        return address.strip("[]"), 161  # a bare host, or an IPv6 address without a port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{port_text!r} is not a port number (1-65535)")
    return host.strip("[]"), int(port_text)


@app.command()
def poll(
    address: Annotated[str, typer.Argument(metavar="HOST[:PORT]", help="the agent, port 161 by default")],
    community: Annotated[str | None, typer.Option(help="SNMPv2c community")] = None,
    v1: Annotated[bool, typer.Option("--v1", help="use SNMPv1 with the community")] = False,
    v3_user: Annotated[str | None, typer.Option(help="SNMPv3 user (then --auth-*/--priv-*)")] = None,
    auth_proto: Annotated[str | None, typer.Option(help=f"SNMPv3 auth: {', '.join(AUTH_PROTOCOLS)}")] = None,
    auth_key: Annotated[str | None, typer.Option(help="SNMPv3 auth passphrase")] = None,
    priv_proto: Annotated[
        str | None, typer.Option(help=f"SNMPv3 privacy: {', '.join(PRIV_PROTOCOLS)}")
    ] = None,
    priv_key: Annotated[str | None, typer.Option(help="SNMPv3 privacy passphrase")] = None,
    profile: Annotated[str, typer.Option(help="auto (by sysObjectID/sysDescr) or a profile name")] = "auto",
    output: Annotated[str, typer.Option("--format", help="json or line (InfluxDB line protocol)")] = "json",
    timeout: Annotated[float, typer.Option(help="seconds to wait for each answer")] = 2.0,
    retries: Annotated[int, typer.Option(help="extra attempts after a timeout")] = 1,
    engine: Annotated[str, typer.Option(help=f"SNMP engine: {', '.join(ENGINE_NAMES)}")] = DEFAULT_ENGINE,
) -> None:
    """Poll HOST once with its profile and print the samples it would write."""
    if output not in ("json", "line"):
        raise fail(f"--format must be json or line, not {output!r}", EXIT_USAGE)
    if timeout <= 0 or retries < 0:
        raise fail("--timeout must be above 0 and --retries 0 or more", EXIT_USAGE)
    try:
        host, port = parse_address(address)
        credentials = _credentials(community, v1, v3_user, auth_proto, auth_key, priv_proto, priv_key)
        profiles = ProfileSet.load()
        if profile != "auto":
            profiles[profile]
        snmp_engine = make_engine(engine)
    except (ValueError, ProfileError) as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    target = PollTarget(
        name=host,
        endpoint=Endpoint(host, port, timeout_s=timeout, retries=retries),
        credentials=credentials,
        profile=profile,
    )
    result = asyncio.run(_poll_once(Poller(snmp_engine, profiles), target))
    status = result.status
    if not status.reachable:
        code = (
            EXIT_UNREACHABLE
            if status.timeouts
            else EXIT_AUTH
            if "credentials" in (status.message or "")
            else 1
        )
        hint = (
            " (check the address, that the agent runs, the community and the v3 privacy key: "
            "agents stay silent on a wrong community or privacy key)"
            if status.timeouts
            else ""
        )
        raise fail(f"{host}:{port} could not be polled: {status.message}{hint}", code)
    header = _header(result, profiles)
    if output == "line":
        for line in _header_lines(header):
            print(line)
        encoder = LineEncoder()
        for line in encoder.encode_lines(result.samples):
            print(line)
    else:
        document = {**header, "samples": [_as_json(s) for s in result.samples]}
        print(json.dumps(document, ensure_ascii=False, indent=1))


def _header(result: PollResult, profiles: ProfileSet) -> dict[str, object]:
    identity = result.identity
    choice = result.choice
    chosen = profiles[choice.profile] if choice else None
    return {
        "device": {
            "sys_name": identity.sys_name if identity else None,
            "sys_descr": identity.sys_descr if identity else None,
            "sys_object_id": identity.sys_object_id if identity else None,
        },
        "profile": {
            "name": choice.profile if choice else None,
            "chosen_by": choice.by if choice else None,
            "matched": choice.matched if choice else None,
            "why": choice.explain() if choice else None,
            "reads": list(chosen.sources) if chosen else [],
            "fallback_profiles": list(chosen.fallbacks) if chosen else [],
            "fallback_columns": result.fallbacks,
            "not_answered": sorted(result.absent),
        },
    }


def _header_lines(header: dict[str, object]) -> list[str]:
    device = header["device"]
    profile = header["profile"]
    assert isinstance(device, dict) and isinstance(profile, dict)
    lines = [
        f"# Tên thiết bị / sysName: {device['sys_name'] or '-'}",
        f"# Mô tả / sysDescr: {' '.join(str(device['sys_descr'] or '-').split())}",
        f"# sysObjectID: {device['sys_object_id'] or '-'}",
        f"# Hồ sơ / profile: {profile['name']} ({profile['why']})",
        f"# Đọc từ / reads: {', '.join(profile['reads'])}; "
        f"luôn thử / always tried: {', '.join(profile['fallback_profiles']) or '-'}",
    ]
    for column, fallback in profile["fallback_columns"].items():
        lines.append(f"# Cột thay thế / fallback column: {fallback} thay cho / instead of {column}")
    if profile["not_answered"]:
        lines.append(f"# Thiết bị không trả lời / not answered: {', '.join(profile['not_answered'])}")
    return lines


async def _poll_once(poller: Poller, target: PollTarget) -> PollResult:
    try:
        return await poller.poll(target)
    finally:
        await poller.close()


def _credentials(
    community: str | None,
    v1: bool,
    user: str | None,
    auth_proto: str | None,
    auth_key: str | None,
    priv_proto: str | None,
    priv_key: str | None,
) -> Credentials:
    if user:
        if community:
            raise ValueError("give either --community or --v3-user, not both")
        return Credentials(
            version=SnmpVersion.v3,
            user=user,
            auth_protocol=auth_proto.upper() if auth_proto else None,
            auth_key=auth_key,
            priv_protocol=priv_proto.upper() if priv_proto else None,
            priv_key=priv_key,
        )
    if any((auth_proto, auth_key, priv_proto, priv_key)):
        raise ValueError("--auth-*/--priv-* options need --v3-user")
    return Credentials(version=SnmpVersion.v1 if v1 else SnmpVersion.v2c, community=community or "public")


def _as_json(sample: Sample) -> dict[str, object]:
    return {
        "measurement": sample.measurement,
        "tags": dict(sample.tags),
        "fields": dict(sample.fields),
        "counters": sorted(sample.counters),
        "time_ns": sample.time_ns,
    }
