"""Polling: SNMP, SSH, traps, the scheduler, device profiles as data, and the sinks.

Data flows one way: inventory targets -> collectors -> samples/events -> (sinks, alert engine).
"""
