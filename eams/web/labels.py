"""Words for the stored codes (roles, statuses, states ...): catalogue msgids, translated where
shown. A code without a word here is shown as it is stored."""

from __future__ import annotations

from eams.web.templating import N_

# A recurring window's days, 0 = Monday as `eams.alerts.silences.Recurrence` stores them.
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))

LABELS: dict[str, dict[str, str]] = {
    "role": {
        "admin": N_("Administrator"),
        "operator": N_("Operator"),
        "security": N_("Security officer"),
        "planner": N_("Planner"),
        "collector": N_("Collector"),
    },
    "device_role": {
        "server": N_("Server"),
        "switch": N_("Switch"),
        "router": N_("Router"),
        "firewall": N_("Firewall"),
        "ips": N_("IPS"),
        "waf": N_("WAF"),
        "vpn": N_("VPN gateway"),
        "load_balancer": N_("Load balancer"),
        "storage": N_("Storage"),
        "ups": N_("UPS"),
        "hypervisor": N_("Hypervisor"),
        "wireless_controller": N_("Wireless controller"),
        "pdu": N_("PDU"),
        "other": N_("Other"),
    },
    "status": {
        "planned": N_("Planned"),
        "active": N_("Active"),
        "maintenance": N_("Maintenance"),
        "spare": N_("Spare"),
        "retired": N_("Retired"),
    },
    "severity": {
        "critical": N_("Critical"),
        "major": N_("Major"),
        "warning": N_("Warning"),
        "minor": N_("Minor"),
        "info": N_("Information"),
    },
    "alert_state": {
        "pending": N_("Pending"),
        "firing": N_("Firing"),
        "resolved": N_("Resolved"),
        "acknowledged": N_("Acknowledged"),
        "suppressed": N_("Suppressed"),
        "silenced": N_("Silenced"),
    },
    "category": {"security": N_("Security"), "operational": N_("Operational")},
    "agency_kind": {
        "province": N_("Province"),
        "department": N_("Department"),
        "board": N_("Board"),
        "district": N_("District"),
        "commune": N_("Commune"),
        "unit": N_("Public service unit"),
    },
    "node_type": {
        "device": N_("Device"),
        "information_system": N_("System"),
        "public_service": N_("Public service"),
        "agency": N_("Agency"),
    },
    "reachability": {
        "up": N_("Up"),
        "down": N_("Down"),
        "not_polled": N_("Not polled"),
    },
    "warranty": {
        "expired": N_("Out of warranty"),
        "expiring": N_("Warranty ends within 90 days"),
        "valid": N_("Under warranty"),
        "unknown": N_("No warranty date"),
    },
}


def label(kind: str, value: object) -> str:
    code = getattr(value, "value", value)
    return LABELS.get(kind, {}).get(str(code), str(code) if code is not None else "")


def choices(kind: str) -> list[tuple[str, str]]:
    return list(LABELS[kind].items())
