"""RFC 5424 and RFC 3164 headers, including what real devices send instead.

Tolerated: no PRI (RFC 3164 4.3.3: user.notice), no timestamp (Cisco ASA, FortiGate), a
timestamp without a year (the year is the one that puts it nearest the receive time), with a year
(`Dec 27 2018 11:15:40`, Cisco and Huawei), with milliseconds or a zone, ISO 8601 inside a legacy
header, no hostname (`<13>Jan  1 00:00:00 sshd[12]: ...`), a UTF-8 BOM before the message, bytes
that are not UTF-8 (shown as `\\xNN`; the raw bytes are stored as they came) and several lines.
Never raises: the worst case is a message of format `raw` whose text is the whole input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Literal

MessageFormat = Literal["rfc5424", "rfc3164", "raw"]
BOM = "\ufeff"
DEFAULT_PRI = 13  # user.notice, RFC 3164 4.3.3
SEVERITY_NAMES = ("emergency", "alert", "critical", "error", "warning", "notice", "info", "debug")
FACILITY_NAMES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3",
    "local4", "local5", "local6", "local7",
)  # fmt: skip
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: i for i, m in enumerate(MONTHS, 1)}

_PRI = re.compile(r"<(\d{1,3})>")
_5424 = re.compile(r"(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) ?")
# Legacy timestamps, tried in order on the text after the PRI.
_ISO = re.compile(r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|[+-]\d\d:?\d\d)?:? +")
_BSD = re.compile(
    r"\*?([A-Za-z]{3}) +(\d{1,2})(?: +(\d{4}))? +(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?"
    r"(?: ?(Z|[+-]\d\d:?\d\d|UTC|GMT))?(?: ?[A-Z]{3,4})?:? +"
)
_TAG = re.compile(r"([^\s:\[\]]{1,64})(?:\[([^\]\s]{0,128})\])?: ?")
_HOST = re.compile(r"\w[\w.:\-]{0,254}$")  # \w: Vietnamese host names too


@dataclass(slots=True)
class Header:
    """The syslog header of one message and its text (MSG)."""

    format: MessageFormat
    facility: int
    severity: int
    text: str
    timestamp: datetime | None = None
    hostname: str | None = None
    app_name: str | None = None
    procid: str | None = None
    msgid: str | None = None
    structured_data: dict[str, dict[str, str]] = field(default_factory=dict)
    pri_given: bool = True

    @property
    def severity_name(self) -> str:
        return SEVERITY_NAMES[self.severity]

    @property
    def facility_name(self) -> str:
        return FACILITY_NAMES[self.facility] if self.facility < len(FACILITY_NAMES) else str(self.facility)


def decode(data: bytes) -> str:
    """Text of the bytes: UTF-8, with any other byte, and NUL (which PostgreSQL text cannot hold),
    shown as `\\xNN` (never lost, never an error; the raw bytes are stored as they came)."""
    text = data.decode("utf-8", errors="backslashreplace")
    return text.replace("\x00", "\\x00") if "\x00" in text else text


def parse(data: bytes, received: datetime, legacy_zone: tzinfo = UTC) -> Header:
    """The header of one framed message (trailing CR, LF and NUL removed). An RFC 3164 time
    without a zone is taken in `legacy_zone` (the `legacy_timezone` setting)."""
    text = decode(data.rstrip(b"\r\n\x00"))
    pri = DEFAULT_PRI
    pri_given = False
    match = _PRI.match(text)
    if match and int(match.group(1)) <= 191:
        pri, pri_given = int(match.group(1)), True
        rest = text[match.end() :]
    else:
        rest = text.lstrip(BOM)
    facility, severity = divmod(pri, 8)
    if pri_given and rest[:2] == "1 ":
        header = _parse_5424(rest, facility, severity, received)
        if header is not None:
            return header
    return _parse_3164(rest, facility, severity, received, pri_given, legacy_zone)


# --- RFC 5424 -----------------------------------------------------------------------------------


def _parse_5424(rest: str, facility: int, severity: int, received: datetime) -> Header | None:
    match = _5424.match(rest)
    if match is None:
        return None
    _version, stamp, host, app, procid, msgid = match.groups()
    timestamp = None if stamp == "-" else _iso(stamp)
    body = rest[match.end() :]
    structured, body = _structured_data(body)
    if body.startswith(BOM):
        body = body[1:]
    return Header(
        format="rfc5424",
        facility=facility,
        severity=severity,
        text=body,
        timestamp=timestamp,
        hostname=None if host == "-" else host,
        app_name=None if app == "-" else app,
        procid=None if procid == "-" else procid,
        msgid=None if msgid == "-" else msgid,
        structured_data=structured,
    )


def _iso(stamp: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _structured_data(body: str) -> tuple[dict[str, dict[str, str]], str]:
    """RFC 5424 STRUCTURED-DATA (`-` or `[id k="v" ...]...`) and the MSG after it."""
    if body.startswith("-"):
        return {}, body[2:] if body[1:2] == " " else body[1:]
    elements: dict[str, dict[str, str]] = {}
    i, n = 0, len(body)
    while i < n and body[i] == "[":
        end_id = i + 1
        while end_id < n and body[end_id] not in " ]":
            end_id += 1
        sd_id = body[i + 1 : end_id]
        params: dict[str, str] = {}
        j = end_id
        while j < n and body[j] == " ":
            eq = body.find('="', j)
            if eq < 0:
                return elements, body[i:]
            name = body[j + 1 : eq]
            k = eq + 2
            value: list[str] = []
            while k < n and body[k] != '"':
                if body[k] == "\\" and k + 1 < n and body[k + 1] in '"\\]':
                    k += 1
                value.append(body[k])
                k += 1
            params[name] = "".join(value)
            j = k + 1
        if j >= n or body[j] != "]":
            return elements, body[i:]  # not well formed: keep it all as the message
        elements[sd_id] = params
        i = j + 1
    return elements, body[i + 1 :] if body[i : i + 1] == " " else body[i:]


# --- RFC 3164 and what devices make of it -------------------------------------------------------


def _parse_3164(
    rest: str, facility: int, severity: int, received: datetime, pri_given: bool, legacy_zone: tzinfo
) -> Header:
    timestamp, after = _legacy_timestamp(rest, received, legacy_zone)
    hostname: str | None = None
    body = after
    if timestamp is not None:
        # `HOST TAG: msg`, or `TAG: msg` with no host: a first word that ends in `:` or holds
        # `[pid]` is the tag.
        word, _, remainder = after.partition(" ")
        if word and not word.endswith(":") and "[" not in word and _HOST.match(word) and remainder:
            hostname, body = word, remainder
    app_name = procid = None
    tag = _TAG.match(body)
    if tag is not None and not body.startswith(("%", "CEF:", "LEEF:")) and "=" not in tag.group(1):
        app_name, procid = tag.group(1), tag.group(2)
        body = body[tag.end() :]
    if body.startswith(BOM):
        body = body[1:]
    known = timestamp is not None or pri_given
    return Header(
        format="rfc3164" if known else "raw",
        facility=facility,
        severity=severity,
        text=body,
        timestamp=timestamp,
        hostname=hostname,
        app_name=app_name,
        procid=procid,
        pri_given=pri_given,
    )


def _legacy_timestamp(rest: str, received: datetime, legacy_zone: tzinfo) -> tuple[datetime | None, str]:
    match = _ISO.match(rest)
    if match is not None:
        year, month, day, hh, mm, ss, frac, zone = match.groups()
        try:
            stamp = datetime(
                int(year),
                int(month),
                int(day),
                int(hh),
                int(mm),
                int(ss),
                _micro(frac),
                _zone(zone, legacy_zone),
            )
        except ValueError:
            return None, rest
        return stamp, rest[match.end() :]
    match = _BSD.match(rest)
    if match is not None:
        month_name, day, year, hh, mm, ss, frac, zone = match.groups()
        month = _MONTHS.get(month_name.lower())
        if month is None:
            return None, rest
        tz = _zone(zone, legacy_zone)
        try:
            if year:
                stamp = datetime(int(year), month, int(day), int(hh), int(mm), int(ss), _micro(frac), tz)
            else:
                stamp = _nearest_year(month, int(day), int(hh), int(mm), int(ss), _micro(frac), tz, received)
        except ValueError:
            return None, rest
        return stamp, rest[match.end() :]
    return None, rest


def _nearest_year(
    month: int, day: int, hh: int, mm: int, ss: int, micro: int, tz: tzinfo, received: datetime
) -> datetime:
    """RFC 3164 has no year: take the one that puts the time nearest the receive time (a
    December message received on 1 January is from last year)."""
    candidates = []
    for year in (received.year - 1, received.year, received.year + 1):
        try:
            candidates.append(datetime(year, month, day, hh, mm, ss, micro, tz))
        except ValueError:  # 29 February
            continue
    if not candidates:
        raise ValueError("no such day")
    return min(candidates, key=lambda stamp: abs(stamp - received))


def _micro(frac: str | None) -> int:
    return int((frac or "0")[:6].ljust(6, "0"))


def _zone(text: str | None, legacy_zone: tzinfo) -> tzinfo:
    # A legacy time without a zone is the device's local time: the zone devices are set to here.
    if not text:
        return legacy_zone
    if text in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0)))
