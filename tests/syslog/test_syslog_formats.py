"""Every vendor mapping against real messages from the vendors' public references
(testdata/vendor-samples.yaml names the source of each line)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from collectors.syslog.formats import FormatError, load_file, load_formats
from collectors.syslog.header import parse
from collectors.syslog.parsing import Parser

SAMPLES = yaml.safe_load((Path(__file__).parent / "testdata" / "vendor-samples.yaml").read_text())
PARSER = Parser(load_formats())
RECEIVED = datetime(2024, 5, 2, 2, 0, tzinfo=UTC)


def run(message: str) -> tuple[Any, Any, Any]:
    header = parse(message.encode(), RECEIVED)
    parsed = PARSER.parse(header)
    event = Parser.match_event(parsed, header, {"device": "dev", "source": "127.0.0.1", "hostname": "?"})
    return header, parsed, event


@pytest.mark.parametrize("case", SAMPLES, ids=[case["name"] for case in SAMPLES])
def test_vendor_sample_is_parsed_typed_and_mapped(case: dict[str, Any]) -> None:
    expect = case["expect"]
    assert case["source"], "every sample names where it comes from"
    header, parsed, event = run(case["message"])
    assert parsed.format is not None, "a format takes the message"
    assert parsed.format.name == expect["format"]
    for key, wanted in expect.get("fields", {}).items():
        assert parsed.fields.get(key) == wanted, f"field {key}: {parsed.fields.get(key)!r}"
    assert not parsed.type_errors, f"values that did not convert to their type: {parsed.type_errors}"
    if "severity" in expect:
        severity = parsed.severity if parsed.severity is not None else header.severity
        assert severity == expect["severity"]
    if expect.get("hostnames"):
        assert [n for n in (header.hostname, *parsed.hostnames) if n][-len(expect["hostnames"]) :] == expect[
            "hostnames"
        ]
    if expect.get("serials"):
        assert parsed.serials == expect["serials"]
    if expect["event"] is None:
        assert event is None, f"no event expected, got {event}"
        return
    assert event is not None, "the message is an event that matters"
    assert event.name == expect["event"]
    if "event_severity" in expect:
        assert event.severity == expect["event_severity"]
    for key, wanted in expect.get("labels", {}).items():
        assert event.labels.get(key) == wanted, f"label {key}: {event.labels}"
    assert "?" not in event.message.split(":", 1)[0], "the message names the device"


def test_every_shipped_format_has_a_sample_and_every_event_kind_is_covered() -> None:
    formats = {fmt.name for fmt in load_formats()}
    sampled = {case["expect"]["format"] for case in SAMPLES}
    assert formats <= sampled, f"formats without a real sample: {sorted(formats - sampled)}"
    events = {case["expect"]["event"] for case in SAMPLES} - {None}
    named = {"admin_login_failed", "config_changed", "vpn_tunnel_down", "threat_detected", "ha_state_changed",
             "interface_down"}  # fmt: skip
    assert named <= events


def test_a_fortigate_message_in_a_vietnamese_hostname_keeps_its_text() -> None:
    _, parsed, _ = run(
        '<189>logid="0100032001" type="event" subtype="system" devname="tường-lửa-sở-y-tế" msg="Đăng nhập"'
    )
    assert parsed.fields["devname"] == "tường-lửa-sở-y-tế" and parsed.fields["msg"] == "Đăng nhập"


def test_a_value_that_is_not_of_its_type_stays_text_and_is_named() -> None:
    _, parsed, _ = run('<189>logid="0100032002" type="event" subtype="system" srcip=not-an-ip eventtime=soon')
    assert parsed.fields["srcip"] == "not-an-ip" and set(parsed.type_errors) == {"srcip", "eventtime"}


def test_a_format_file_mistake_names_the_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "mine.yaml"
    bad.write_text(
        "vendor: acme\nproduct: A\nreference: r\ndecoder: kv\ndetect: {text: 'x'}\n"
        "events:\n  - event: boom\n    when: {a: '('}\n    message: m\n"
    )
    with pytest.raises(FormatError, match=r"mine.yaml: events.0.when: .* is not a regular expression"):
        load_file(bad)


def test_a_format_in_the_extra_folder_replaces_the_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "linux.yaml").write_text(
        "vendor: linux\nproduct: mine\nreference: r\ndecoder: regex\ndetect: {app_name: '^myapp$'}\n"
    )
    names = [fmt.spec.product for fmt in load_formats([tmp_path]) if fmt.name == "linux"]
    assert names == ["mine"]


def test_the_event_index_names_the_events_whose_conditions_hold_also_when_remembered() -> None:
    """The index remembers its answer per set of deciding values; a second message with the same
    values, and one where only a deciding value differs, get what checking every event gives."""
    for case in SAMPLES:
        header = parse(case["message"].encode(), RECEIVED)
        parsed = PARSER.parse(header)
        if parsed.format is None:
            continue
        index = parsed.format.event_index
        every = [
            event
            for event in parsed.format.events
            if all(
                parsed.fields.get(key) is not None and pattern.fullmatch(str(parsed.fields[key]))
                for key, pattern in event.when
            )
        ]
        assert list(index.candidates(parsed.fields)) == every, case["name"]
        assert list(index.candidates(dict(parsed.fields))) == every, case["name"]
        for key in index.keys:
            changed = {**parsed.fields, key: "no-such-value"}
            holds = [e for e in parsed.format.events if all(
                changed.get(k) is not None and p.fullmatch(str(changed[k])) for k, p in e.when)]  # fmt: skip
            assert list(index.candidates(changed)) == holds, (case["name"], key)
