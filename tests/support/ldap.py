"""A real OpenLDAP `slapd` on loopback for the sign-in tests, with people and groups of a province.

The configuration is generated into the test's folder (mdb database, the standard schemas), slapd
runs in the foreground on a free port, entries are loaded with `ldapadd`, and the process is
stopped by PID. Debian's `slapd` and `ldap-utils` are installed by `./dev setup`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.peers import free_port, require_program, running, tcp_open
from tests.support.tls import self_signed_certificate

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
    ldaps_url: str | None = None  # with tls=True: the same directory over LDAPS
    ca_file: Path | None = None  # the certificate that signed slapd's (a client's CA file)

    def group_dn(self, name: str) -> str:
        return f"cn={name},{GROUPS}"

    def user_dn(self, uid: str) -> str:
        return f"uid={uid},{PEOPLE}"


def _config(folder: Path, tls: tuple[Path, Path] | None = None) -> str:
    schema = "/etc/ldap/schema"
    tls_lines = (
        [f"TLSCACertificateFile {tls[0]}", f"TLSCertificateFile {tls[0]}", f"TLSCertificateKeyFile {tls[1]}"]
        if tls
        else []
    )
    return "\n".join(
        [
            *tls_lines,
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
def running_slapd(folder: Path, *, tls: bool = False) -> Iterator[Slapd]:
    """slapd on ldap:// (StartTLS offered when `tls`), and with `tls` on ldaps:// too, its
    certificate made for 127.0.0.1 (tests.support.tls)."""
    slapd = require_program("/usr/sbin/slapd")
    ldapadd = require_program("ldapadd")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    material = self_signed_certificate(folder, "slapd") if tls else None
    config = folder / "slapd.conf"
    config.write_text(_config(folder, material))
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    listen = [f"{url}/"]
    ldaps_url = None
    if tls:
        ldaps_port = free_port()
        ldaps_url = f"ldaps://127.0.0.1:{ldaps_port}"
        listen.append(f"{ldaps_url}/")
    try:
        with running(
            [slapd, "-f", str(config), "-h", " ".join(listen), "-d", "0"],
            ready=lambda: tcp_open("127.0.0.1", port),
            what="slapd",
            log_path=folder / "slapd.log",
        ):
            _loaded(url, ldapadd, folder)
            yield Slapd(url=url, ldaps_url=ldaps_url, ca_file=material[0] if material else None)
    finally:
        _stop_by_pidfile(folder / "slapd.pid")


def _stop_by_pidfile(pidfile: Path) -> None:
    """slapd can outlive the process we started (it detaches); its pidfile names the daemon."""
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return
    try:  # only our slapd: a stale pidfile's number may belong to another process by now
        if str(pidfile.parent) not in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
            return
    except OSError:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _loaded(url: str, ldapadd: str, folder: Path) -> None:
    ldif = folder / "base.ldif"
    ldif.write_text(_entries(), encoding="utf-8")
    subprocess.run(
        [ldapadd, "-x", "-H", url, "-D", ROOT_DN, "-w", ROOT_PASSWORD, "-f", str(ldif)],
        check=True,
        capture_output=True,
        timeout=30,
    )
