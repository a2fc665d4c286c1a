"""Every inventory table, imported so that `Base.metadata` is complete."""

from inventory.models.auth import ApiToken
from inventory.models.base import Base
from inventory.models.changes import ChangeAction, CustomFieldDefinition, CustomFieldType, ObjectChange
from inventory.models.credentials import SECRET_FIELDS, CredentialsProfile
from inventory.models.devices import Device, DeviceType, Interface, IPAddress, Manufacturer, Platform
from inventory.models.discovery import DiscoveredFact, FactKind, FactSource, FactState, MatchReason
from inventory.models.enums import (
    AgencyKind,
    CredentialKind,
    DeviceRole,
    LifecycleStatus,
    Role,
    SiteKind,
    SnmpAuthProtocol,
    SnmpPrivProtocol,
)
from inventory.models.facilities import Location, Rack, Site
from inventory.models.organization import Agency
from inventory.models.polling import DevicePollStatus
from inventory.models.topology import Dependency, EdgeKind, EdgeState, NodeType, RedundancyGroup

__all__ = [
    "SECRET_FIELDS",
    "Agency",
    "AgencyKind",
    "ApiToken",
    "Base",
    "ChangeAction",
    "CredentialKind",
    "CredentialsProfile",
    "CustomFieldDefinition",
    "CustomFieldType",
    "Dependency",
    "Device",
    "DevicePollStatus",
    "DeviceRole",
    "DeviceType",
    "DiscoveredFact",
    "EdgeKind",
    "EdgeState",
    "FactKind",
    "FactSource",
    "FactState",
    "IPAddress",
    "Interface",
    "LifecycleStatus",
    "Location",
    "Manufacturer",
    "MatchReason",
    "NodeType",
    "ObjectChange",
    "Platform",
    "Rack",
    "RedundancyGroup",
    "Role",
    "Site",
    "SiteKind",
    "SnmpAuthProtocol",
    "SnmpPrivProtocol",
]
