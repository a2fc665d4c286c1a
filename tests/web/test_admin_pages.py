"""The administrators' and planners' pages beyond /admin: credentials profiles, alert rules and
routing, discovery jobs, the roadmap timeline; as a browser sees them (HTML over HTTP)."""

from __future__ import annotations

from sqlalchemy import select

from eams.services import Services
from inventory.models import CredentialsProfile
from tests.web.conftest import SignIn, csrf_of


def stored_secrets(services: Services, name: str) -> dict[str, str]:
    with services.db.session() as session:
        profile = session.scalars(select(CredentialsProfile).where(CredentialsProfile.name == name)).one()
        return services.secret_box.open(profile.secrets_encrypted)


def test_credentials_are_created_and_edited_with_write_only_secrets(
    sign_in: SignIn, example_services: Services
) -> None:
    admin = sign_in("admin")
    token = csrf_of(admin.get("/admin/credentials/new").text)
    created = admin.post(
        "/admin/credentials",
        data={"csrf_token": token, "name": "web-v2c", "kind": "snmp_v2c", "community": "s3cret-community"},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    edit_url = created.headers["location"]
    listed = admin.get("/admin/credentials").text
    assert "web-v2c" in listed and "community" in listed and "s3cret-community" not in listed
    form = admin.get(edit_url).text
    assert "s3cret-community" not in form and 'name="community"' in form
    # A blank secret keeps the stored one; the plain fields change.
    saved = admin.post(
        edit_url,
        data={"csrf_token": token, "name": "web-v2c", "kind": "snmp_v2c", "retries": "3", "community": ""},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    assert stored_secrets(example_services, "web-v2c") == {"community": "s3cret-community"}
    admin.post(
        edit_url, data={"csrf_token": token, "name": "web-v2c", "kind": "snmp_v2c", "community": "new-one"}
    )
    assert stored_secrets(example_services, "web-v2c") == {"community": "new-one"}
    # The API's completeness check answers a bad profile, naming what is missing, in a page.
    refused = admin.post("/admin/credentials", data={"csrf_token": token, "name": "web-ssh", "kind": "ssh"})
    assert refused.status_code == 422 and "username" in refused.text
    # Without the CSRF token nothing is written.
    assert admin.post(edit_url, data={"name": "web-v2c", "kind": "snmp_v2c"}).status_code == 403


def test_credentials_pages_follow_the_roles(sign_in: SignIn) -> None:
    operator, planner = sign_in("operator"), sign_in("planner")
    assert operator.get("/admin/credentials").status_code == 200
    assert 'href="/admin/credentials/new"' not in operator.get("/admin/credentials").text
    assert operator.get("/admin/credentials/new").status_code == 403
    assert planner.get("/admin/credentials").status_code == 403
