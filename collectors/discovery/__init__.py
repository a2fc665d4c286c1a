"""SNMP discovery: sweep address ranges, read what each agent is, stage it as discovered facts."""
