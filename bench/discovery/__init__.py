"""Benchmark of SNMP discovery sweeps against snmpd agents on loopback."""
