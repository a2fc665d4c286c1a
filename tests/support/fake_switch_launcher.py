"""Serves simulated Cisco IOS switches over SSH on loopback (runs in the fake-switches venv).

fake-switches' own command listens on 0.0.0.0 and mishandles the enable password, so this
launcher builds the switch cores itself, binds each to 127.0.0.1 on a port the OS picks, and
writes `{"devices": [{"name", "port", "serial"}, ...]}` to --ready-file once every one listens.

What it adds to the stock Cisco 2960 core, to look like a production switch:
  - `show running-config` carries the lines a real one has and the backup must handle: an enable
    secret, a local user's secret, an SNMP community (all to be redacted) and a volatile
    "! Last configuration change at" timestamp (to be ignored);
  - `show version` and `show inventory` report this device's own serial number;
  - `show cdp neighbors detail` lists the neighbours given with --neighbours (a JSON list).

Usage: python fake_switch_launcher.py --ready-file F [--count N] [--user U --password P]
       [--enable-password E] [--name-prefix sw] [--neighbours JSON] [--host 127.0.0.1]
Runs in the foreground until SIGTERM. Python 2 style of fake-switches is not needed: Python 3.
"""

from __future__ import annotations

import argparse
import json
import time

from fake_switches import switch_configuration
from fake_switches.cisco import cisco_core
from fake_switches.cisco.command_processor import enabled
from fake_switches.cisco.command_processor.config import ConfigCommandProcessor
from fake_switches.cisco.command_processor.config_interface import ConfigInterfaceCommandProcessor
from fake_switches.cisco.command_processor.config_vlan import ConfigVlanCommandProcessor
from fake_switches.cisco.command_processor.config_vrf import ConfigVRFCommandProcessor
from fake_switches.transports.ssh_service import SwitchSshService
from twisted.internet import reactor

STOCK_SERIAL = "FOC1530X2F7"

SECRET_LINES = [
    "enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0",
    "username netadmin privilege 15 secret 5 $1$kQ2x$3b9Yh8sJtqjH1dN5aPz0Q/",
    "snmp-server community Pr1v4teC0mmunity RO",
]

INVENTORY = """NAME: "1", DESCR: "WS-C3750G-24TS-1U"
PID: WS-C3750G-24TS-S1U  , VID: V05  , SN: {serial}
"""

CDP_ENTRY = """-------------------------
Device ID: {name}
Entry address(es):
  IP address: {ip}
Platform: cisco WS-C3750G-24TS-1U,  Capabilities: Switch IGMP
Interface: {local_port},  Port ID (outgoing port): {remote_port}
Holdtime : 150 sec

Version :
Cisco IOS Software, C3750 Software (C3750-IPSERVICESK9-M), Version 12.2(58)SE2, RELEASE SOFTWARE (fc1)

advertisement version: 2
Management address(es):
  IP address: {ip}

"""


class DeviceEnabledProcessor(enabled.EnabledCommandProcessor):
    """The stock enabled mode plus the outputs listed in the module docstring."""

    serial = STOCK_SERIAL
    neighbours: list[dict[str, str]] = []

    def show_run(self) -> None:
        write_line = self.write_line

        def with_extra_lines(line: str) -> None:
            write_line(line)
            if line.startswith("hostname "):
                stamp = time.strftime("%H:%M:%S UTC %a %b %d %Y", time.gmtime())
                write_line("! Last configuration change at " + stamp)
                for extra in SECRET_LINES:
                    write_line(extra)

        self.write_line = with_extra_lines  # type: ignore[method-assign]
        try:
            super().show_run()
        finally:
            del self.write_line

    def show_version(self) -> None:
        text = enabled.version_text(
            hostname=self.switch_configuration.name,
            vlan_port_count=len(self.switch_configuration.get_vlan_ports()),
            port_count=len(self.switch_configuration.get_physical_ports()),
        )
        self.write_line(text.replace(STOCK_SERIAL, self.serial))

    def do_show(self, *args: str) -> None:
        if args and "inventory".startswith(args[0]) and len(args[0]) >= 3:
            self.write_line(INVENTORY.format(serial=self.serial))
        elif args and args[0] == "cdp":
            for entry in self.neighbours:
                self.write_line(CDP_ENTRY.format(**entry))
        else:
            super().do_show(*args)


def make_core(name: str, serial: str, enable_password: str, neighbours: list[dict[str, str]]):  # type: ignore[no-untyped-def]
    processor_class = type(
        "Processor_" + name, (DeviceEnabledProcessor,), {"serial": serial, "neighbours": neighbours}
    )

    class DeviceCore(cisco_core.Cisco2960SwitchCore):
        def new_command_processor(self):  # type: ignore[no-untyped-def]
            return processor_class(
                config=ConfigCommandProcessor(
                    config_vlan=ConfigVlanCommandProcessor(),
                    config_vrf=ConfigVRFCommandProcessor(),
                    config_interface=ConfigInterfaceCommandProcessor(),
                )
            )

    configuration = switch_configuration.SwitchConfiguration(
        "127.0.0.1",
        name=name,
        privileged_passwords=[enable_password],
        ports=DeviceCore.get_default_ports(),
    )
    return DeviceCore(configuration)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--enable-password", default="enable")
    parser.add_argument("--name-prefix", default="sw")
    parser.add_argument("--neighbours", default="[]", help="JSON list of {name, ip, local_port, remote_port}")
    args = parser.parse_args()
    if not args.host.startswith("127."):
        parser.error("--host must be a loopback address (127.x.y.z)")
    neighbours = json.loads(args.neighbours)

    devices = []
    for index in range(1, args.count + 1):
        name = f"{args.name_prefix}{index:03d}" if args.count > 1 else args.name_prefix
        serial = f"FOC{index:08d}"
        core = make_core(name, serial, args.enable_password, neighbours)
        service = SwitchSshService(
            ip=args.host, port=0, switch_core=core, users={args.user: args.password.encode()}
        )
        listening = service.hook_to_reactor(reactor)
        devices.append({"name": name, "port": listening.getHost().port, "serial": serial})

    def announce() -> None:
        with open(args.ready_file + ".tmp", "w") as handle:
            json.dump({"devices": devices}, handle)
        import os

        os.replace(args.ready_file + ".tmp", args.ready_file)

    reactor.callWhenRunning(announce)  # type: ignore[attr-defined]
    reactor.run()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
