"""Syslog intake: UDP, TCP (RFC 6587) and TLS (RFC 5425) listeners, RFC 3164/5424 headers, vendor
formats as YAML (`formats/`), the sending device from the inventory, a bounded store, events for
the alert engine and counts for the time-series sink. See README.md."""
