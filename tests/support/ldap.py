"""A real OpenLDAP `slapd` on loopback for the sign-in tests, with people and groups of a province.

The configuration is generated into the test's folder (mdb database, the standard schemas), slapd
runs in the foreground on a free port, entries are loaded with `ldapadd`, and the process is
stopped by PID. Debian's `slapd` and `ldap-utils` are installed by `./dev setup`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.peers import free_port, require_program, running, tcp_open

SUFFIX = "dc=sonlam,dc=gov,dc=vn"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "slapd-root-secret"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"

# uid: (full name, password, groups)
DIRECTORY: dict[str, tuple[str, str, list[str]]] = {
    "tran.thi.b": ("Trần Thị B", "Ldap-Matkhau-Manh-01", ["eams-admins"]),
    "le.van.c": ("Lê Văn C", "Ldap-Matkhau-Manh-02", ["eams-planners-syt"]),
    "pham.van.d": ("Phạm Văn D", "Ldap-Matkhau-Manh-03", ["nhan-su"]),  # in no mapped group
}


@dataclass(frozen=True)
class Slapd:
    url: str
    suffix: str = SUFFIX

    def group_dn(self, name: str) -> str:
        return f"cn={name},{GROUPS}"

    def user_dn(self, uid: str) -> str:
        return f"uid={uid},{PEOPLE}"


def _config(folder: Path) -> str:
    schema = "/etc/ldap/schema"
    return "\n".join(
        [
            f"include {schema}/core.schema",
            f"include {schema}/cosine.schema",
            f"include {schema}/inetorgperson.schema",
            f"include {schema}/nis.schema",
            f"pidfile {folder / 'slapd.pid'}",
            f"argsfile {folder / 'slapd.args'}",
            "modulepath /usr/lib/ldap",
            "moduleload back_mdb",
            "database mdb",
            "maxsize 10485760",
            f"suffix {SUFFIX}",
            f"rootdn {ROOT_DN}",
            f"rootpw {ROOT_PASSWORD}",
            f"directory {folder / 'data'}",
            # People may read the directory once bound (their groups); anonymous reads nothing.
            "access to attrs=userPassword by self write by anonymous auth by * none",
            "access to * by users read by * none",
            "",
        ]
    )


def _entries() -> str:
    blocks = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Tinh Son Lam\ndc: sonlam",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups",
    ]
    members: dict[str, list[str]] = {}
    for uid, (name, password, groups) in DIRECTORY.items():
        surname = name.split()[0]
        blocks.append(
            f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn:: {_b64(name)}\n"
            f"sn:: {_b64(surname)}\nmail: {uid}@sonlam.gov.vn\nuserPassword: {password}"
        )
        for group in groups:
            members.setdefault(group, []).append(f"uid={uid},{PEOPLE}")
    for group, dns in members.items():
        lines = "\n".join(f"member: {dn}" for dn in dns)
        blocks.append(f"dn: cn={group},{GROUPS}\nobjectClass: groupOfNames\ncn: {group}\n{lines}")
    return "\n\n".join(blocks) + "\n"


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


@contextmanager
def running_slapd(folder: Path) -> Iterator[Slapd]:
    slapd = require_program("/usr/sbin/slapd")
    ldapadd = require_program("ldapadd")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    config = folder / "slapd.conf"
    config.write_text(_config(folder))
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    with running(
        [slapd, "-f", str(config), "-h", f"{url}/", "-d", "0"],
        ready=lambda: tcp_open("127.0.0.1", port),
        what="slapd",
        log_path=folder / "slapd.log",
    ):
        ldif = folder / "base.ldif"
        ldif.write_text(_entries(), encoding="utf-8")
        subprocess.run(
            [ldapadd, "-x", "-H", url, "-D", ROOT_DN, "-w", ROOT_PASSWORD, "-f", str(ldif)],
            check=True,
            capture_output=True,
            timeout=30,
        )
        yield Slapd(url=url)
