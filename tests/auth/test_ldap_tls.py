"""LDAP sign-in over TLS against a real slapd (OpenLDAP, GnuTLS) with a certificate made for
127.0.0.1: LDAPS and StartTLS both bind and read the groups when eams trusts the certificate's
issuer (`ca_file`), and both refuse a server whose certificate eams cannot verify, so a password
is never sent to a directory that merely answers on the right port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from eams.auth.config import LdapConfig
from eams.auth.ldap import LdapUnavailable, authenticate
from tests.support.ldap import DIRECTORY, Slapd, running_slapd
from tests.support.tls import self_signed_certificate

pytestmark = pytest.mark.peer("slapd")


@pytest.fixture(scope="module")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    with running_slapd(tmp_path_factory.mktemp("slapd-tls"), tls=True) as running:
        yield running


def config(slapd: Slapd, url: str, *, ca_file: Path | None, start_tls: bool = False) -> LdapConfig:
    return LdapConfig.model_validate(
        {
            "url": url,
            "start_tls": start_tls,
            "ca_file": str(ca_file) if ca_file else None,
            "bind_dn_template": f"uid={{username}},ou=people,{slapd.suffix}",
            "group_base": f"ou=groups,{slapd.suffix}",
            "group_mappings": [{"group": slapd.group_dn("eams-admins"), "role": "admin"}],
            "timeout_s": 5,
        }
    )


USER = "tran.thi.b"
PASSWORD = DIRECTORY[USER][1]


def test_ldaps_binds_and_reads_the_groups_with_the_trusted_issuer(slapd: Slapd) -> None:
    assert slapd.ldaps_url is not None
    identity = authenticate(config(slapd, slapd.ldaps_url, ca_file=slapd.ca_file), USER, PASSWORD)
    assert identity is not None and identity.full_name == "Trần Thị B"
    assert identity.mapping is not None and identity.mapping.role.value == "admin"
    # A wrong password over TLS is a refusal, not an outage.
    assert authenticate(config(slapd, slapd.ldaps_url, ca_file=slapd.ca_file), USER, "sai-mat-khau") is None


def test_start_tls_upgrades_plain_ldap_before_the_bind(slapd: Slapd) -> None:
    identity = authenticate(config(slapd, slapd.url, ca_file=slapd.ca_file, start_tls=True), USER, PASSWORD)
    assert identity is not None and identity.mapping is not None


def test_a_certificate_eams_cannot_verify_is_refused_before_any_password_is_sent(
    slapd: Slapd, tmp_path: Path
) -> None:
    assert slapd.ldaps_url is not None
    stranger, _ = self_signed_certificate(tmp_path, "another-ca")  # not the issuer of slapd's
    for refused in (
        config(slapd, slapd.ldaps_url, ca_file=stranger),
        config(slapd, slapd.url, ca_file=stranger, start_tls=True),
    ):
        with pytest.raises(LdapUnavailable):
            authenticate(refused, USER, PASSWORD)
