"""Trap mapping files: the shipped ones load, bad ones are refused with the file and key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.traps.mappings import MappingError, load_mappings, render

VALID = """
vendor: lab
varbinds:
  labReason: 1.3.6.1.4.1.99999.1.1
traps:
  - name: lab.alarm
    oid: 1.3.6.1.4.1.99999.0.1
    severity: critical
    category: security
    message: "{device}: {labReason}"
"""


def write(folder: Path, text: str, name: str = "lab.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_shipped_mappings_cover_standard_and_security_appliance_traps() -> None:
    mappings = load_mappings()
    names = {rule.name for rule in mappings.rules}
    assert {"coldStart", "warmStart", "linkDown", "linkUp", "authenticationFailure"} <= names
    fortinet = {"fortinet.ips.signature", "fortinet.av.virus", "fortinet.vpn.tunnel_down"}
    fortinet |= {"fortinet.ha.switch", "fortinet.ha.heartbeat_fail"}
    assert fortinet <= names
    assert {"paloalto.threat", "paloalto.auth.failure", "paloalto.ha.state_change"} <= names
    assert {"cisco_asa.admin.login_failed", "cisco_asa.failover.active", "cisco_asa.ips.signature"} <= names
    # Varbind names resolve with the instance suffix real agents send.
    assert mappings.name_of("1.3.6.1.4.1.12356.101.12.3.4.0") == "fgVpnTrapPhase1Name"
    assert mappings.name_of("1.3.6.1.2.1.31.1.1.1.18.4") == "ifAlias"
    assert mappings.name_of("1.3.6.1.4.1.12356.101.12.3.40") is None


def test_asa_syslog_traps_are_told_apart_by_message_id() -> None:
    mappings = load_mappings()
    trap = "1.3.6.1.4.1.9.9.41.2.0.1"

    def match(message_id: str) -> str | None:
        values = mappings.named_values(
            [("1.3.6.1.4.1.9.9.41.1.2.3.1.4.77", message_id), ("1.3.6.1.4.1.9.9.41.1.2.3.1.5.77", "text")]
        )
        found = mappings.match(trap, values)
        return found.name if found else None

    assert match("605004") == "cisco_asa.admin.login_failed"
    assert match("ASA-6-605004") == "cisco_asa.admin.login_failed"
    assert match("104001") == "cisco_asa.failover.active"
    assert match("400013") == "cisco_asa.ips.signature"
    assert match("302013") == "cisco_asa.syslog"  # anything else still maps, as information


def test_operator_folder_adds_mappings(tmp_path: Path) -> None:
    write(tmp_path, VALID)
    mappings = load_mappings([tmp_path])
    values = mappings.named_values([("1.3.6.1.4.1.99999.1.1.0", "door open")]) | {"device": "rack-7"}
    rule = mappings.match("1.3.6.1.4.1.99999.0.1", values)
    assert rule is not None and rule.name == "lab.alarm"
    assert render(rule.rule.message, values) == "rack-7: door open"
    assert render(rule.rule.message, {"device": "rack-7"}) == "rack-7: ?"


@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        ("severity: critical", "severity: disaster", "traps[0].severity"),
        ("oid: 1.3.6.1.4.1.99999.0.1", "oid: not-an-oid", "traps[0].oid"),
        ('"{device}: {labReason}"', '"{device}: {labCause}"', "traps[0].message: {labCause} is neither"),
        ('"{device}: {labReason}"', '"{device.__class__}"', "message: {device.__class__} is not a plain"),
        ("category: security", "category: security\n    colour: red", "traps[0].colour"),
        ("vendor: lab", "vendor: Lab Inc", "vendor"),
    ],
)
def test_bad_mapping_file_is_refused_naming_file_and_key(
    tmp_path: Path, replace: str, by: str, expected: str
) -> None:
    path = write(tmp_path, VALID.replace(replace, by))
    with pytest.raises(MappingError) as failure:
        load_mappings([tmp_path])
    assert str(path) in str(failure.value)
    assert expected in str(failure.value)


def test_duplicate_rule_names_and_conflicting_varbind_names_are_refused(tmp_path: Path) -> None:
    write(tmp_path / "a", VALID.replace("lab.alarm", "linkDown"))
    already = r"traps\[0\]\.name: 'linkDown' is already defined in .*standard\.yaml"
    with pytest.raises(MappingError, match=already):
        load_mappings([tmp_path / "a"])
    write(tmp_path / "b", VALID.replace("1.3.6.1.4.1.99999.1.1", "1.3.6.1.2.1.2.2.1.1"))
    with pytest.raises(MappingError, match="already named 'ifIndex'"):
        load_mappings([tmp_path / "b"])
    write(tmp_path / "c", "vendor: lab\ntraps: [\n", name="broken.yaml")
    with pytest.raises(MappingError, match=r"broken\.yaml: cannot be read as YAML"):
        load_mappings([tmp_path / "c"])
