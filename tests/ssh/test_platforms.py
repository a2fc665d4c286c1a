"""The per-platform command sets (YAML): they load, their TextFSM parsers exist in ntc-templates,
and their redaction and volatile-line patterns do what the backup relies on."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.ssh.parsing import parse_textfsm
from collectors.ssh.platforms import PURPOSES, PlatformError, builtin_registry, load_registry
from collectors.ssh.redaction import MASK, clean_config

REQUIRED = ("cisco_ios", "cisco_nxos", "juniper_junos", "fortinet", "paloalto_panos", "huawei", "linux")


def test_every_required_platform_has_a_running_config_command() -> None:
    registry = builtin_registry()
    assert set(REQUIRED) <= set(registry.names())
    for name in REQUIRED:
        platform = registry.get(name)
        assert platform.running_config.command
        assert set(platform.commands) <= set(PURPOSES)


@pytest.mark.parametrize("name", REQUIRED)
def test_every_textfsm_command_has_an_ntc_template(name: str) -> None:
    platform = builtin_registry().get(name)
    for purpose, specs in platform.commands.items():
        for spec in specs:
            if spec.parser != "textfsm":
                continue
            # An empty output parses to no rows; a missing template raises.
            rows, template = parse_textfsm(platform.textfsm_platform, spec.command, "")
            assert template.endswith(".textfsm"), (purpose, spec.command)
            assert rows == []


CISCO = """Building configuration...

Current configuration : 1234 bytes
! Last configuration change at 10:00:00 UTC Mon Nov 23 2026
version 15.2
hostname sw-core-01
enable secret 5 $1$abcd$SECRETHASH
username noc privilege 15 password 7 0822455D0A16
snmp-server community C0mmun1ty RO
tacacs-server key 7 TACACSKEY
crypto isakmp key PSKVALUE address 0.0.0.0
ntp clock-period 17208123
interface Vlan1
 description management
end
"""


def test_cisco_secrets_are_masked_and_volatile_lines_dropped() -> None:
    clean = clean_config(CISCO, builtin_registry().get("cisco_ios"))
    for secret in ("SECRETHASH", "0822455D0A16", "C0mmun1ty", "TACACSKEY", "PSKVALUE"):
        assert secret not in clean.text
    assert f"snmp-server community {MASK} RO" in clean.text
    assert f"crypto isakmp key {MASK} address 0.0.0.0" in clean.text
    assert clean.redacted == 5
    assert "Last configuration change" not in clean.text and "clock-period" not in clean.text
    assert " description management" in clean.text


def test_only_volatile_differences_give_the_same_hash() -> None:
    cisco = builtin_registry().get("cisco_ios")
    later = CISCO.replace("10:00:00", "11:30:00").replace("17208123", "17208999").replace("1234", "1240")
    assert clean_config(CISCO, cisco).sha256 == clean_config(later, cisco).sha256
    changed = CISCO.replace("description management", "description mgmt")
    assert clean_config(CISCO, cisco).sha256 != clean_config(changed, cisco).sha256


@pytest.mark.parametrize(
    ("platform", "line", "secret"),
    [
        ("fortinet", "    set password ENC SH2xyzSECRET", "SH2xyzSECRET"),
        ("fortinet", "        set psksecret ENC PSKSECRET", "PSKSECRET"),
        ("juniper_junos", 'set system root-authentication encrypted-password "$6$SECRET"', "$6$SECRET"),
        ("juniper_junos", "set snmp community PUBLICSECRET authorization read-only", "PUBLICSECRET"),
        ("paloalto_panos", "<phash>$1$SECRETHASH</phash>", "SECRETHASH"),
        ("huawei", " local-user admin password irreversible-cipher $1a$SECRET$", "$1a$SECRET$"),
        ("huawei", " snmp-agent community read cipher %^%#SECRET%^%#", "%^%#SECRET%^%#"),
        ("cisco_nxos", "username admin password 5 $5$SECRET role network-admin", "$5$SECRET"),
        ("linux", "db_password = hunter2", "hunter2"),
    ],
)
def test_vendor_secrets_are_masked(platform: str, line: str, secret: str) -> None:
    clean = clean_config(line + "\n", builtin_registry().get(platform))
    assert secret not in clean.text and MASK in clean.text


def test_users_extend_redaction_and_platforms(tmp_path: Path) -> None:
    extra = tmp_path / "redactions.yaml"
    extra.write_text("all:\n  - '^(\\s*api-token\\s+)\\S+'\n")
    platforms = tmp_path / "platforms"
    platforms.mkdir()
    (platforms / "sangfor.yaml").write_text(
        "name: sangfor\nnetmiko_device_type: linux\n"
        "commands:\n  running_config:\n    - {command: show config}\n"
    )
    registry = load_registry(platforms, extra)
    assert registry.get("sangfor").running_config.command == "show config"
    assert "TOKEN1" not in clean_config("api-token TOKEN1\n", registry.get("cisco_ios")).text


def test_a_bad_platform_file_is_named_in_the_error(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("name: broken\nredact: ['(unclosed']\n")
    with pytest.raises(
        PlatformError, match=r"broken.yaml: redact: '\(unclosed' is not a valid regular expression"
    ):
        load_registry(tmp_path)
