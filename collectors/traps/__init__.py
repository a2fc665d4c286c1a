"""SNMP trap and inform receiver: traps become events (alert engine) and `snmp_trap` samples.

Parts: `config` (what to listen on and trust), `receiver` (pysnmp, v1/v2c/v3, informs acknowledged),
`mappings` (trap OID -> event, from the YAML files in `mappings/`), `devices` (source address ->
inventory device), `processor` (trap -> Event + Sample, stored), `store` (recent and unknown traps),
`component` (runs it inside the service). See README.md.
"""
