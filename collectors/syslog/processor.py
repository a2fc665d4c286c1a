"""From raw bytes to a record and an event: header, vendor format, device, the event that matters.

Runs in a worker thread (parsing and the inventory look-up are CPU and database work that must
not hold the event loop); `component.py` hands it batches in arrival order.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from collectors.samples import Event, Severity
from collectors.syslog.formats import Format
from collectors.syslog.header import SEVERITY_NAMES, parse
from collectors.syslog.listeners import RawMessage
from collectors.syslog.parsing import Parser
from collectors.syslog.records import SyslogRecord
from collectors.syslog.resolver import DeviceResolver
from collectors.syslog.store import SyslogStore

log = logging.getLogger(__name__)

EVENT_KIND = "syslog"
CONFIG_CHANGED = "config_changed"
LOGIN = "admin_login"
NEW_ADDRESS = "admin_login_new_address"
MAX_DATA_FIELDS = 64
MAX_MESSAGE_CHARS = 65_536


@dataclass
class Processed:
    records: list[SyslogRecord] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


class SyslogProcessor:
    def __init__(
        self,
        formats: list[Format],
        resolver: DeviceResolver,
        store: SyslogStore | None,
        legacy_zone: tzinfo = UTC,
    ) -> None:
        self.parser = Parser(formats)
        self.legacy_zone = legacy_zone
        self.resolver = resolver
        self.store = store
        self.counts: Counter[str] = Counter()
        self.store_errors = 0
        self._logins: dict[tuple[int, str], set[str]] = {}
        self._reported_unknown: set[str] = set()

    # --- worker thread ----------------------------------------------------------------------------

    def handle(self, batch: list[RawMessage]) -> Processed:
        """Parse, resolve and store a batch; the events to publish, in order."""
        if self.resolver.needs_refresh():
            self._refresh()
        out = Processed()
        for raw in batch:
            record, event = self.process(raw)
            out.records.append(record)
            if event is not None:
                out.events.append(event)
        out.events.extend(self.store_records(out.records))
        return out

    def store_records(self, records: list[SyslogRecord]) -> list[Event]:
        """Write the records, note senders that are known now, and check sign-in addresses;
        returns the `admin_login_new_address` events (also used for records a remote collector
        forwarded)."""
        if self.store is None:
            return []
        try:
            self.store.write(records)
            known_again = {r.source for r in records if r.device_id is not None} & self._reported_unknown
            if known_again:
                self.store.forget_unknown(known_again)
                self._reported_unknown -= known_again
            self._reported_unknown.update(r.source for r in records if r.device_id is None)
        except Exception:  # a database hiccup must not lose the events for the alert engine
            self.store_errors += 1
            log.exception("storing %d syslog messages failed", len(records))
        events: list[Event] = []
        logins: list[tuple[int, str, str, datetime]] = []
        for record in records:
            if record.event == LOGIN and record.device_id is not None:
                try:
                    event = self._check_login_address(record, logins)
                except Exception:
                    self.store_errors += 1
                    log.exception("checking the sign-in address of a syslog message failed")
                    continue
                if event is not None:
                    events.append(event)
        try:
            self.store.remember_logins(logins)
        except Exception:
            self.store_errors += 1
            log.exception("recording %d sign-in addresses failed", len(logins))
        return events

    def _refresh(self) -> None:
        try:
            self.resolver.refresh()
        except Exception:
            log.exception("reading the inventory for the syslog senders failed")

    # --- one message ------------------------------------------------------------------------------

    def process(self, raw: RawMessage) -> tuple[SyslogRecord, Event | None]:
        received = datetime.fromtimestamp(raw.received_ns / 1e9, UTC)
        header = parse(raw.data, received, self.legacy_zone)
        parsed = self.parser.parse(header)
        names = [n for n in (header.hostname, *parsed.hostnames) if n]
        resolution = self.resolver.resolve(raw.source, names, parsed.serials)
        if resolution is None and self.resolver.needs_refresh(missed=True):
            self._refresh()
            resolution = self.resolver.resolve(raw.source, names, parsed.serials)
        device = resolution.device if resolution else None
        severity = parsed.severity if parsed.severity is not None else header.severity
        record = SyslogRecord(
            received_ns=raw.received_ns,
            source=raw.source,
            source_port=raw.source_port,
            transport=raw.transport,
            raw=raw.data,
            truncated=raw.truncated,
            header_format=header.format,
            facility=header.facility,
            severity=severity,
            message=header.text[:MAX_MESSAGE_CHARS],
            device_time=header.timestamp,
            hostname=header.hostname,
            app_name=header.app_name,
            procid=header.procid,
            msgid=header.msgid,
            structured_data=header.structured_data,
            vendor=parsed.vendor,
            format=parsed.format.name if parsed.format else None,
            fields=parsed.fields,
            device_id=device.id if device else None,
            device_name=device.name if device else None,
            resolved_by=resolution.by if resolution else None,
            hostnames=names,
            serials=parsed.serials,
        )
        if parsed.type_errors:
            record.fields["_type_errors"] = parsed.type_errors
        self.counts["parsed" if parsed.format else "unparsed"] += 1
        context = {
            "device": record.device_name or header.hostname or raw.source,
            "source": raw.source,
            "hostname": header.hostname or "?",
        }
        matched = self.parser.match_event(parsed, header, context)
        if matched is None:
            return record, None
        record.event = matched.name
        record.event_labels = matched.labels
        self.counts["events"] += 1
        return record, self._event(record, matched.name, matched.severity, matched.category, matched.message,
                                   matched.labels)  # fmt: skip

    def _event(
        self,
        record: SyslogRecord,
        name: str,
        severity: str,
        category: str,
        message: str,
        labels: dict[str, str],
    ) -> Event:
        vendor = record.vendor or "unknown"
        data: dict[str, Any] = {
            "hostname": record.hostname,
            "app_name": record.app_name,
            "format": record.format,
            "syslog_severity": SEVERITY_NAMES[record.severity],
            "transport": record.transport,
            "device_time": record.device_time.isoformat() if record.device_time else None,
            "resolved_by": record.resolved_by,
            "fields": {k: v for i, (k, v) in enumerate(record.fields.items()) if i < MAX_DATA_FIELDS},
            "message": record.message[:2000],
        }
        return Event(
            kind=EVENT_KIND,
            name=f"{vendor}.{name}",
            severity=Severity(severity),
            message=message,
            source=record.source,
            device_id=record.device_id,
            labels={"category": category, "vendor": vendor, "event": name, **labels},
            data=data,
            time_ns=record.received_ns,
        )

    def _check_login_address(
        self, record: SyslogRecord, logins: list[tuple[int, str, str, datetime]]
    ) -> Event | None:
        """A successful sign-in from an address this account never used on this device. The first
        sign-in of an account only teaches its address (no event): otherwise every account would
        raise one on the first day."""
        assert self.store is not None and record.device_id is not None
        # Every format's admin_login event names the account and the address in its labels.
        user = record.event_labels.get("user", "")
        address = record.event_labels.get("src_ip", "")
        if not user or not address:
            return None
        key = (record.device_id, user)
        known = self._logins.get(key)
        if known is None:
            known = self.store.login_addresses(record.device_id, user)
            self._logins[key] = known
        is_new = bool(known) and address not in known
        if address not in known:
            known.add(address)
        logins.append((record.device_id, user, address, record.received_at))
        if not is_new:
            return None
        device = record.device_name or record.source
        message = f"{device}: administrator {user} signed in from a new address {address}"
        return self._event(
            record, NEW_ADDRESS, "warning", "security", message, {"user": user, "src_ip": address}
        )
