"""Who to connect to and how: SSH targets built from inventory devices and credentials profiles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.ssh.errors import NotConfigured
from collectors.ssh.platforms import PlatformRegistry
from inventory.device_tags import device_tags, with_tag_names
from inventory.models import CredentialKind, CredentialsProfile, Device, Platform
from inventory.secretbox import SecretBox, SecretBoxError


@dataclass(frozen=True, slots=True)
class SshTarget:
    name: str
    host: str
    port: int
    platform: str  # key of a command set in collectors/ssh/platforms
    username: str
    password: str | None = field(default=None, repr=False)
    private_key: str | None = field(default=None, repr=False)
    enable_secret: str | None = field(default=None, repr=False)
    device_id: int | None = None
    # inventory.device_tags: device, role, site, agency (empty ones left out), as in SNMP samples.
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.host}:{self.port})"


def target_for(
    device: Device,
    credentials: CredentialsProfile | None,
    platform: Platform | None,
    site: str | None,
    agency: str | None,
    box: SecretBox,
    registry: PlatformRegistry,
) -> SshTarget:
    """The target for one device, or NotConfigured saying what the inventory lacks."""
    label = device.name
    if not device.management_ip:
        raise NotConfigured(label, "the device has no management_ip")
    if platform is None or not platform.ssh_driver:
        raise NotConfigured(label, "the device's platform has no ssh_driver (cisco_ios, linux ...)")
    if platform.ssh_driver not in registry.platforms:
        raise NotConfigured(label, f"no SSH command set for ssh_driver {platform.ssh_driver!r}")
    if credentials is None or credentials.kind is not CredentialKind.ssh:
        raise NotConfigured(label, "the device has no credentials profile of kind ssh")
    try:
        secrets = box.open(credentials.secrets_encrypted)
    except SecretBoxError as exc:
        raise NotConfigured(label, str(exc)) from None
    return SshTarget(
        name=device.name,
        host=device.management_ip,
        port=credentials.port or 22,
        platform=platform.ssh_driver,
        username=credentials.username or "",
        password=secrets.get("password"),
        private_key=secrets.get("private_key"),
        enable_secret=secrets.get("enable_secret"),
        device_id=device.id,
        tags=device_tags(device.name, device.role, site, agency),
    )


def load_targets(
    session: Session,
    box: SecretBox,
    registry: PlatformRegistry,
    device_ids: Iterable[int] | None = None,
    platforms: Iterable[str] | None = None,
) -> tuple[list[SshTarget], list[NotConfigured]]:
    """Targets for the given devices (all active devices with an SSH platform when None)."""
    query = with_tag_names(
        select(Device, CredentialsProfile, Platform)
        .outerjoin(CredentialsProfile, Device.credentials_id == CredentialsProfile.id)
        .outerjoin(Platform, Device.platform_id == Platform.id)
    ).order_by(Device.id)
    if device_ids is not None:
        query = query.where(Device.id.in_(list(device_ids)))
    else:
        query = query.where(Device.status == "active", Platform.ssh_driver.is_not(None))
    if platforms is not None:
        query = query.where(Platform.ssh_driver.in_(list(platforms)))
    targets: list[SshTarget] = []
    problems: list[NotConfigured] = []
    for device, credentials, platform, site, agency in session.execute(query).all():
        try:
            targets.append(target_for(device, credentials, platform, site, agency, box, registry))
        except NotConfigured as exc:
            problems.append(exc)
    return targets, problems
