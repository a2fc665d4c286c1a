"""RFC 5424 and RFC 3164 headers, and the malformed variants real devices send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from collectors.syslog.header import parse

RECEIVED = datetime(2026, 1, 1, 0, 5, tzinfo=UTC)


def test_rfc5424_with_structured_data_and_bom() -> None:
    # RFC 5424 section 6.5, example 3 (with the BOM before the message).
    header = parse(
        b'<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" '
        b'eventSource="Application" eventID="1011"] \xef\xbb\xbfAn application event log entry...',
        RECEIVED,
    )
    assert (header.format, header.facility, header.severity) == ("rfc5424", 20, 5)
    assert header.timestamp == datetime(2003, 10, 11, 22, 14, 15, 3000, UTC)
    assert (header.hostname, header.app_name, header.procid, header.msgid) == (
        "mymachine.example.com", "evntslog", None, "ID47",
    )  # fmt: skip
    assert header.structured_data == {
        "exampleSDID@32473": {"iut": "3", "eventSource": "Application", "eventID": "1011"}
    }
    assert header.text == "An application event log entry..."


def test_rfc5424_escapes_in_structured_data_and_nil_values() -> None:
    header = parse(b'<13>1 - - - - - [a@1 k="x\\"y\\]z"] msg', RECEIVED)
    assert header.timestamp is None and header.hostname is None
    assert header.structured_data == {"a@1": {"k": 'x"y]z'}} and header.text == "msg"


def test_rfc3164_without_a_year_takes_the_year_nearest_the_receive_time() -> None:
    header = parse(b"<34>Dec 31 23:59:00 mymachine su: 'su root' failed for lonvick", RECEIVED)
    assert header.timestamp == datetime(2025, 12, 31, 23, 59, tzinfo=UTC), "last year's December"
    assert (header.hostname, header.app_name, header.text) == (
        "mymachine",
        "su",
        "'su root' failed for lonvick",
    )


def test_rfc3164_without_hostname_and_with_a_pid() -> None:
    header = parse(b"<38>Jan  1 00:04:00 sshd[812]: Accepted publickey for root", RECEIVED)
    assert header.hostname is None and (header.app_name, header.procid) == ("sshd", "812")


def test_cisco_and_huawei_timestamps_with_year_zone_and_milliseconds() -> None:
    asa = parse(b"<166>Dec 27 2018 11:15:40 asa-01 : %ASA-6-605004: Login denied", RECEIVED)
    assert asa.timestamp == datetime(2018, 12, 27, 11, 15, 40, tzinfo=UTC) and asa.hostname == "asa-01"
    huawei = parse(b"<187>Jan 25 2019 15:20:56+07:00 SW-01 %%01SHELL/5/CMDRECORD(s)[0]:x", RECEIVED)
    assert huawei.timestamp == datetime(2019, 1, 25, 15, 20, 56, tzinfo=timezone(timedelta(hours=7)))
    ios = parse(b"<189>*Mar  1 00:00:10.123: %LINK-3-UPDOWN: Interface Gi0/1, changed state to up", RECEIVED)
    assert ios.timestamp is not None and ios.timestamp.microsecond == 123000
    assert ios.text.startswith("%LINK-3-UPDOWN")


def test_no_timestamp_no_hostname_as_fortigate_and_asa_send() -> None:
    header = parse(b'<189>date=2018-12-27 time=11:15:40 logid="0100032002"', RECEIVED)
    assert (header.format, header.severity, header.timestamp, header.hostname) == ("rfc3164", 5, None, None)
    assert header.text.startswith("date=2018-12-27")


def test_no_pri_is_user_notice_and_garbage_is_kept_as_raw_text() -> None:
    header = parse(b"\x00\xff\xfe garbage <999> ##", RECEIVED)
    assert (header.format, header.facility, header.severity) == ("raw", 1, 5)
    assert header.text == "\\x00\\xff\\xfe garbage <999> ##", (
        "bytes that are not UTF-8 (and NUL) stay visible"
    )


def test_multi_line_message_and_latin1_bytes_are_kept() -> None:
    header = parse(b"<13>1 - host app - - - line one\nline two caf\xe9", RECEIVED)
    assert header.text == "line one\nline two caf\\xe9"


def test_vietnamese_utf8_text_is_decoded() -> None:
    header = parse("<13>Jan  1 00:00:00 máy-chủ-01 app: Đăng nhập thất bại".encode(), RECEIVED)
    assert header.hostname == "máy-chủ-01" and header.text == "Đăng nhập thất bại"


def test_an_rfc3164_time_without_a_zone_is_taken_in_the_configured_zone() -> None:
    """Devices here keep Vietnam's time (UTC+7) and RFC 3164 does not say so: 23:59 is 16:59 UTC."""
    hcm = ZoneInfo("Asia/Ho_Chi_Minh")
    header = parse(b"<34>Dec 31 23:59:00 mymachine su: 'su root' failed for lonvick", RECEIVED, hcm)
    assert header.timestamp == datetime(2025, 12, 31, 16, 59, tzinfo=UTC)
    iso = parse(b"<34>2025-12-31 23:59:00 mymachine su: x", RECEIVED, hcm)
    assert iso.timestamp == datetime(2025, 12, 31, 16, 59, tzinfo=UTC)
    # A zone the device wrote wins over the setting.
    huawei = parse(b"<187>Jan 25 2019 15:20:56+09:00 SW-01 %%01SHELL/5/CMDRECORD(s)[0]:x", RECEIVED, hcm)
    assert huawei.timestamp == datetime(2019, 1, 25, 6, 20, 56, tzinfo=UTC)
    assert parse(b"<34>Dec 31 23:59:00 UTC host su: x", RECEIVED, hcm).timestamp == datetime(
        2025, 12, 31, 23, 59, tzinfo=UTC
    )
