"""A corpus of real-world configuration lines per platform: every secret a backup could carry must
be masked by `clean_config` (the function the backup stores, diffs and sends in `config_changed`
events), the keyword before it must stay readable, and ordinary lines must come through unchanged.

Each secret is a distinctive string, so a leak anywhere in the cleaned text is caught."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from collectors.ssh.platforms import builtin_registry
from collectors.ssh.redaction import MASK, clean_config


@dataclass(frozen=True)
class Secret:
    line: str  # the configuration line as the device prints it
    secret: str  # must never appear in the cleaned text
    kept: str  # what must remain in front of the mask
    count: int = 1  # how many secrets the line holds


@dataclass(frozen=True)
class Corpus:
    secrets: tuple[Secret, ...]
    plain: tuple[str, ...]  # lines without secrets, which must come through byte for byte


CORPORA: dict[str, Corpus] = {
    "cisco_ios": Corpus(
        secrets=(
            Secret("enable secret 5 $1$abcd$IOSENABLEHASH", "IOSENABLEHASH", "enable secret 5 "),
            Secret("username noc privilege 15 secret 9 $9$IOSUSERHASH", "IOSUSERHASH", "secret 9 "),
            Secret("snmp-server community IOSCOMMUNITY RO", "IOSCOMMUNITY", "snmp-server community "),
            Secret("tacacs-server key 7 IOSTACACSKEY", "IOSTACACSKEY", "tacacs-server key 7 "),
            Secret(
                " ip ospf message-digest-key 1 md5 7 IOSOSPFMD5",
                "IOSOSPFMD5",
                " ip ospf message-digest-key 1 md5 7 ",
            ),
            Secret(
                " ip ospf authentication-key 7 IOSOSPFTEXT", "IOSOSPFTEXT", " ip ospf authentication-key 7 "
            ),
            Secret(
                " neighbor 10.0.0.1 password 7 IOSBGPPASSWORD",
                "IOSBGPPASSWORD",
                " neighbor 10.0.0.1 password 7 ",
            ),
            Secret(
                "ntp authentication-key 1 md5 IOSNTPKEY 7",
                "IOSNTPKEY",
                "ntp authentication-key 1 md5 ",
            ),
            Secret(
                " standby 1 authentication md5 key-string IOSHSRPKEY",
                "IOSHSRPKEY",
                " standby 1 authentication md5 key-string ",
            ),
            Secret(
                " ppp pap sent-username u password 0 IOSPAPPASSWORD",
                "IOSPAPPASSWORD",
                " ppp pap sent-username u password 0 ",
            ),
            Secret("  key-string 7 IOSKEYCHAIN", "IOSKEYCHAIN", "  key-string 7 "),
            Secret("crypto isakmp key IOSISAKMP address 0.0.0.0", "IOSISAKMP", "crypto isakmp key "),
            Secret("key config-key password-encrypt IOSMASTERKEY", "IOSMASTERKEY", "password-encrypt "),
            Secret(" password 7 IOSLINEPASSWORD", "IOSLINEPASSWORD", " password 7 "),
            Secret(" standby 2 authentication IOSHSRPTEXT", "IOSHSRPTEXT", " standby 2 authentication "),
            Secret(
                "snmp-server user nms NMS v3 auth sha IOSSNMPAUTH priv aes 128 IOSSNMPPRIV",
                "IOSSNMPAUTH",
                "auth sha ",
                count=2,
            ),
            Secret(
                "snmp-server user nms NMS v3 auth sha IOSSNMPAUTH priv aes 128 IOSSNMPPRIV",
                "IOSSNMPPRIV",
                "priv aes 128 ",
                count=2,
            ),
        ),
        plain=(
            "hostname sw-core-01",
            "service password-encryption",
            "password encryption aes",
            "security passwords min-length 8",
            "aaa authentication login default group tacacs+ local",
            "interface GigabitEthernet0/1",
            " ip ospf authentication message-digest",
            " standby 1 ip 10.0.0.254",
            "router bgp 65000",
            " neighbor 10.0.0.1 remote-as 65001",
            "key chain OSPF",
            " key 1",
            "ntp authenticate",
            "ntp trusted-key 1",
        ),
    ),
    "cisco_nxos": Corpus(
        secrets=(
            Secret("username admin password 5 $5$NXUSERHASH role network-admin", "NXUSERHASH", "password 5 "),
            Secret(
                "snmp-server user admin network-admin auth md5 0xNXAUTHKEY priv 0xNXPRIVKEY localizedkey",
                "NXAUTHKEY",
                "auth md5 ",
                count=2,
            ),
            Secret(
                "snmp-server user admin network-admin auth md5 0xNXAUTHKEY priv 0xNXPRIVKEY localizedkey",
                "NXPRIVKEY",
                "priv ",
                count=2,
            ),
            Secret(
                "  ip ospf message-digest-key 1 md5 3 NXOSPFMD5",
                "NXOSPFMD5",
                "  ip ospf message-digest-key 1 md5 3 ",
            ),
            Secret("    password 3 NXBGPPASSWORD", "NXBGPPASSWORD", "    password 3 "),
            Secret("tacacs-server host 10.0.0.5 key 7 NXTACACSKEY", "NXTACACSKEY", "key 7 "),
            Secret("  key-string 7 NXKEYCHAIN", "NXKEYCHAIN", "  key-string 7 "),
            Secret(
                "ntp authentication-key 1 md5 NXNTPKEY 7",
                "NXNTPKEY",
                "ntp authentication-key 1 md5 ",
            ),
            Secret(
                "    authentication md5 key-string NXHSRPKEY",
                "NXHSRPKEY",
                "    authentication md5 key-string ",
            ),
        ),
        plain=(
            "hostname nx-spine-01",
            "feature bgp",
            "feature password encryption aes",
            "router bgp 65000",
            "  neighbor 10.0.0.1",
            "    remote-as 65001",
            "interface Ethernet1/1",
            "  ip ospf authentication message-digest",
        ),
    ),
    "huawei": Corpus(
        secrets=(
            Secret(
                " local-user admin password irreversible-cipher $1a$HWLOCALUSER$",
                "HWLOCALUSER",
                " local-user admin password irreversible-cipher ",
            ),
            Secret(
                " snmp-agent community read cipher %^%#HWCOMMUNITY%^%#",
                "HWCOMMUNITY",
                " snmp-agent community read cipher ",
            ),
            Secret(
                " ospf authentication-mode md5 1 cipher %^%#HWOSPFMD5%^%#",
                "HWOSPFMD5",
                " ospf authentication-mode md5 1 cipher ",
            ),
            Secret(
                "  authentication-mode hmac-sha256 1 cipher %^%#HWAREAKEY%^%#",
                "HWAREAKEY",
                "  authentication-mode hmac-sha256 1 cipher ",
            ),
            Secret(
                " peer 10.0.0.1 password cipher %^%#HWBGPPASSWORD%^%#",
                "HWBGPPASSWORD",
                " peer 10.0.0.1 password cipher ",
            ),
            Secret(
                " hwtacacs-server shared-key cipher %^%#HWTACACSKEY%^%#",
                "HWTACACSKEY",
                " hwtacacs-server shared-key cipher ",
            ),
            Secret(
                " radius-server shared-key cipher %^%#HWRADIUSKEY%^%#",
                "HWRADIUSKEY",
                " radius-server shared-key cipher ",
            ),
            Secret(
                " set authentication password cipher %^%#HWCONSOLE%^%#",
                "HWCONSOLE",
                " set authentication password cipher ",
            ),
        ),
        plain=(
            "sysname hw-agg-01",
            "aaa",
            " local-user admin service-type ssh",
            " local-user admin privilege level 15",
            "user-interface vty 0 4",
            " authentication-mode aaa",
            "ospf 1",
            " area 0.0.0.0",
            "  authentication-mode md5",
            " undo password-control aging enable",
        ),
    ),
    "juniper_junos": Corpus(
        secrets=(
            Secret(
                'set system root-authentication encrypted-password "$6$JUNOSROOTHASH"',
                "JUNOSROOTHASH",
                "encrypted-password ",
            ),
            Secret(
                "set snmp v3 usm local-engine user nms authentication-sha "
                'authentication-password "JUNOSSNMPAUTH"',
                "JUNOSSNMPAUTH",
                "authentication-password ",
            ),
            Secret(
                'set snmp v3 usm local-engine user nms privacy-aes128 privacy-password "JUNOSSNMPPRIV"',
                "JUNOSSNMPPRIV",
                "privacy-password ",
            ),
            Secret(
                'set snmp v3 usm local-engine user n authentication-sha authentication-key "$9$JUNOSUSMKEY"',
                "JUNOSUSMKEY",
                "authentication-key ",
            ),
            Secret(
                'set system radius-server 10.0.0.5 secret "$9$JUNOSRADIUS"',
                "JUNOSRADIUS",
                "secret ",
            ),
            Secret(
                'set security ike policy p1 pre-shared-key ascii-text "$9$JUNOSIKEPSK"',
                "JUNOSIKEPSK",
                "pre-shared-key ascii-text ",
            ),
            Secret(
                'set protocols ospf area 0 interface ge-0/0/0.0 authentication md5 1 key "$9$JUNOSOSPF"',
                "JUNOSOSPF",
                "md5 1 key ",
            ),
            Secret(
                'set protocols bgp group ext authentication-key "$9$JUNOSBGP"',
                "JUNOSBGP",
                "authentication-key ",
            ),
            Secret(
                'set system login user noc authentication plain-text-password-value "JUNOSPLAIN word"',
                "JUNOSPLAIN",
                "plain-text-password-value ",
            ),
            Secret(
                '        authentication-password "JUNOSBRACEAUTH"; ## SECRET-DATA',
                "JUNOSBRACEAUTH",
                "authentication-password ",
            ),
        ),
        plain=(
            "set system host-name mx-edge-01",
            "set system authentication-order [ radius password ]",
            "set system services ssh root-login deny",
            "set security authentication-key-chains key-chain k1 tolerance 30",
            "set protocols ospf area 0 interface ge-0/0/0.0 authentication md5 1 start-time 2026-01-01.00:00",
        ),
    ),
    "fortinet": Corpus(
        secrets=(
            Secret("        set password ENC SH2FORTIADMIN", "FORTIADMIN", "set password "),
            Secret("        set psksecret ENC FORTIPSK", "FORTIPSK", "set psksecret "),
            Secret("        set passwd ENC FORTIPASSWD", "FORTIPASSWD", "set passwd "),
            Secret("        set secret ENC FORTIRADIUS", "FORTIRADIUS", "set secret "),
            Secret("        set auth-pwd ENC FORTISNMPAUTH", "FORTISNMPAUTH", "set auth-pwd "),
            Secret("        set priv-pwd ENC FORTISNMPPRIV", "FORTISNMPPRIV", "set priv-pwd "),
            Secret("        set passphrase ENC FORTIWIFI", "FORTIWIFI", "set passphrase "),
            Secret("                set key-string ENC FORTIOSPFMD5", "FORTIOSPFMD5", "set key-string "),
            Secret(
                "        set authentication-key ENC FORTIOSPFTEXT", "FORTIOSPFTEXT", "set authentication-key "
            ),
            Secret("        set ppk-secret ENC FORTIPPK", "FORTIPPK", "set ppk-secret "),
        ),
        plain=(
            "config system global",
            "    set hostname fgt-01",
            "    set admintimeout 480",
            "        set authentication md5",
            "        set password-policy enable",
            "        set two-factor disable",
            "end",
        ),
    ),
    "paloalto_panos": Corpus(
        secrets=(
            Secret("<phash>$1$PANPHASH</phash>", "PANPHASH", "<phash>"),
            Secret("<key>-AQ==PANIKEKEY</key>", "PANIKEKEY", "<key>"),
            Secret("<secret>-AQ==PANRADIUS</secret>", "PANRADIUS", "<secret>"),
            Secret("<bind-password>-AQ==PANLDAPBIND</bind-password>", "PANLDAPBIND", "<bind-password>"),
            Secret("<private-key>-AQ==PANCERTKEY</private-key>", "PANCERTKEY", "<private-key>"),
            Secret("phash $1$PANBRACEHASH;", "PANBRACEHASH", "phash "),
            Secret(
                "set network ike gateway gw1 authentication pre-shared-key key -AQ==PANSETPSK",
                "PANSETPSK",
                "pre-shared-key key ",
            ),
            Secret(
                "set shared server-profile ldap l1 bind-password -AQ==PANSETBIND",
                "PANSETBIND",
                "bind-password ",
            ),
            Secret(
                "set deviceconfig system snmp-setting access-setting version v2c "
                "snmp-community-string PANCOMMUNITY",
                "PANCOMMUNITY",
                "snmp-community-string ",
            ),
        ),
        plain=(
            "<hostname>pa-fw-01</hostname>",
            '<entry name="admin">',
            "set deviceconfig system hostname pa-fw-01",
            "set network interface ethernet ethernet1/1 layer3 ip 10.0.0.1/24",
        ),
    ),
    "linux": Corpus(
        secrets=(Secret("db_password = LINUXHUNTER2", "LINUXHUNTER2", "db_password = "),),
        plain=(
            "PasswordAuthentication no",
            "PermitRootLogin prohibit-password",
            "ListenAddress 0.0.0.0",
        ),
    ),
}


def test_every_platform_has_a_corpus() -> None:
    assert set(CORPORA) == set(builtin_registry().names())


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_no_secret_survives_cleaning(name: str) -> None:
    corpus = CORPORA[name]
    raw = "\n".join([*corpus.plain, *(case.line for case in corpus.secrets)]) + "\n"
    clean = clean_config(raw, builtin_registry().get(name))
    leaked = [case.line for case in corpus.secrets if case.secret in clean.text]
    assert not leaked, f"{name}: secrets left in the backup:\n" + "\n".join(leaked)


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_the_keyword_before_each_secret_stays_readable(name: str) -> None:
    platform = builtin_registry().get(name)
    for case in CORPORA[name].secrets:
        cleaned = clean_config(case.line + "\n", platform).text
        assert case.kept + MASK in cleaned, (case.line, cleaned)


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_lines_without_secrets_come_through_unchanged(name: str) -> None:
    corpus = CORPORA[name]
    raw = "\n".join(corpus.plain) + "\n"
    clean = clean_config(raw, builtin_registry().get(name))
    assert clean.text.splitlines() == list(corpus.plain)
    assert clean.redacted == 0


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_each_secret_is_counted_once(name: str) -> None:
    """Several patterns may cover one secret; the stored count still says how many secrets there were."""
    platform = builtin_registry().get(name)
    for case in CORPORA[name].secrets:
        assert clean_config(case.line + "\n", platform).redacted == case.count, case.line
