"""Poll targets from the inventory: active devices with a management address and SNMP credentials.

Secrets are decrypted here, with the service's SecretBox, and live only in memory. A device whose
credentials cannot be used (undecryptable, incomplete v3) is left out with a log line naming it,
so one bad profile never stops the others from being polled.

Devices that belong to a remote collector (`collectors.remote.ownership`) are the collector's:
the service lists them only for that collector (`collector_id`), never for its own poller.
"""

from __future__ import annotations

import logging

from sqlalchemy import or_, select

from collectors.remote.ownership import owned_by, owned_remotely
from collectors.snmp.engine import Credentials, Endpoint, SnmpVersion
from collectors.snmp.poller import PollTarget
from inventory.db import Database
from inventory.device_tags import device_tags, with_tag_names
from inventory.models import CredentialKind, CredentialsProfile, Device, LifecycleStatus
from inventory.secretbox import SecretBox, SecretBoxError

log = logging.getLogger(__name__)

_VERSIONS = {
    CredentialKind.snmp_v1: SnmpVersion.v1,
    CredentialKind.snmp_v2c: SnmpVersion.v2c,
    CredentialKind.snmp_v3: SnmpVersion.v3,
}


def credentials_from_profile(profile: CredentialsProfile, secret_box: SecretBox) -> Credentials:
    secrets = secret_box.open(profile.secrets_encrypted)
    version = _VERSIONS[profile.kind]
    if version is SnmpVersion.v3:
        return Credentials(
            version=version,
            user=profile.username or "",
            auth_protocol=profile.auth_protocol.value if profile.auth_protocol else None,
            auth_key=secrets.get("auth_key"),
            priv_protocol=profile.priv_protocol.value if profile.priv_protocol else None,
            priv_key=secrets.get("priv_key"),
            context=profile.context or "",
        )
    return Credentials(version=version, community=secrets.get("community", "public"))


def load_targets(
    db: Database,
    secret_box: SecretBox,
    *,
    interval_s: float = 60.0,
    collector_id: int | None = None,
    agency_ids: frozenset[int] | None = None,
) -> list[PollTarget]:
    """The service's own targets, or with `collector_id` those of that remote collector; with
    `agency_ids` (a collector token scoped to an agency) only devices those agencies own or run."""
    query = (
        with_tag_names(
            select(Device, CredentialsProfile).join(
                CredentialsProfile, Device.credentials_id == CredentialsProfile.id
            )
        )
        .where(
            Device.status == LifecycleStatus.active,
            Device.management_ip.is_not(None),
            Device.management_ip != "",
            CredentialsProfile.kind.in_(list(_VERSIONS)),
        )
        .where(owned_by(collector_id) if collector_id is not None else ~owned_remotely())
        .order_by(Device.id)
    )
    if agency_ids is not None:
        query = query.where(
            or_(Device.owner_agency_id.in_(agency_ids), Device.operating_agency_id.in_(agency_ids))
        )
    targets: list[PollTarget] = []
    with db.session() as session:
        for device, profile, site_name, agency_name in session.execute(query):
            try:
                credentials = credentials_from_profile(profile, secret_box)
            except (SecretBoxError, ValueError) as exc:
                log.warning("device %s is not polled: credentials %r: %s", device.name, profile.name, exc)
                continue
            tags = device_tags(device.name, device.role, site_name, agency_name)
            endpoint = Endpoint(
                host=str(device.management_ip).split("/")[0],
                port=profile.port or 161,
                timeout_s=profile.timeout_s,
                retries=profile.retries,
            )
            targets.append(
                PollTarget(
                    name=device.name,
                    endpoint=endpoint,
                    credentials=credentials,
                    device_id=device.id,
                    tags=tags,
                    interval_s=interval_s,
                )
            )
    return targets
