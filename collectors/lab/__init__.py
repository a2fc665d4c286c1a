"""A lab of simulated SNMP devices on loopback: snmpsim serving recordings of real devices (from
the `snmpsim-data` package, trimmed to what our profiles read, with changing counters) and the
local host's net-snmp snmpd. Used by `eams demo`, the tests and the benchmarks."""
