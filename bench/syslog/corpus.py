"""What the benchmark sends: a realistic mix of firewall and server messages (the shapes of the
vendors' reference lines in tests/syslog/testdata/vendor-samples.yaml), most of them traffic logs
that carry no event, as on a real network."""

from __future__ import annotations

_TEMPLATES = (
    # FortiGate traffic log (kv): the bulk of a firewall's syslog
    '<189>date=2024-05-02 time=11:15:40 devname="dc-fw-01" devid="FG200FT921900001" logid="0000000013" '
    'type="traffic" subtype="forward" level="notice" vd="root" eventtime=1714648540 srcip=10.1.{a}.{b} '
    'srcport={port} srcintf="port2" dstip=203.0.113.{b} dstport=443 dstintf="wan1" sessionid={seq} '
    'proto=6 action="accept" policyid=12 service="HTTPS" duration=12 sentbyte=1834 rcvdbyte=9210 '
    "sentpkt=9 rcvdpkt=11",
    # PAN-OS TRAFFIC (CSV)
    "<14>May  2 11:15:40 PA-220 1,2024/05/02 11:15:40,0009C101317,TRAFFIC,end,1,2024/05/02 11:15:40,"
    "10.2.{a}.{b},10.183.51.49,0.0.0.0,0.0.0.0,allow-dc,,,msrpc,vsys1,TRUST,DC,ethernet1/1,ethernet1/2,"
    "fwd,2024/05/02 11:15:40,{seq},1,{port},135,0,0,0x0,tcp,allow,1194,644,550,12,2024/05/02 11:15:30,"
    "10,any,0,{seq},0x0,10.0.0.0-10.255.255.255,10.0.0.0-10.255.255.255,0,7,5",
    # Linux sshd (RFC 3164)
    "<38>May  2 11:15:40 srv-mail-01 sshd[{port}]: Accepted publickey for ops from 10.0.8.{ops} "
    "port {port} ssh2",
    # Cisco ASA connection built
    "<166>%ASA-6-302013: Built outbound TCP connection {seq} for outside:203.0.113.{b}/443 "
    "(203.0.113.{b}/443) to inside:10.3.{a}.{b}/{port} (10.3.{a}.{b}/{port})",
)


def message(index: int) -> bytes:
    template = _TEMPLATES[index % len(_TEMPLATES)]
    # A few operators' workstations sign in again and again; traffic comes from many addresses.
    values = {"a": index // 250 % 250, "b": index % 250, "port": 1024 + index % 60000, "seq": index}
    values["ops"] = index % 4
    return template.format(**values).encode()


def login_failed(source_ip: str) -> bytes:
    """The FortiOS 'Admin login failed' line (logid 0100032002): five from one address are an alert."""
    return (
        f'<185>logid="0100032002" type="event" subtype="system" level="alert" vd="root" devname="dc-fw-01" '
        f'logdesc="Admin login failed" user="admin" ui="https({source_ip})" method="https" srcip={source_ip} '
        f'dstip=10.0.0.1 action="login" status="failed" reason="passwd_invalid" msg="bench"'
    ).encode()
