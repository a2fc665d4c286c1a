"""SNMP polling benchmark: our engines against prometheus-snmp-exporter and net-snmp snmpbulkwalk."""
