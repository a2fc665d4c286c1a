"""Hand-written declarations of measurements that no SNMP profile describes (see collectors/schema.py).

One module per area, each exposing `MEASUREMENTS`: the collectors' own status (`status`), SNMP
traps (`traps`) and Linux metrics read over SSH (`ssh_linux`). Keep them equal to what the code
writes: the dashboards are generated from and checked against them.
"""
