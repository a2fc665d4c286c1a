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

# The architecture layer (issue 3); importing it also registers the security re-determination hook.
from inventory.models.framework import FrameworkVersion, ReferenceModel, ReferenceModelNode  # isort: skip
from inventory.models.systems import (  # isort: skip
    DataClassification,
    DataObject,
    Deployment,
    Environment,
    InformationSystem,
    Integration,
    IntegrationChannel,
    PublicService,
    SystemCategory,
    SystemLifecycle,
    SystemScope,
    TimeAssessment,
)
from inventory.models.security import LevelState, SecurityLevelRecord  # isort: skip
from inventory.models.contracts import Contract, ContractKind  # isort: skip
from inventory.models.graph_state import TopologyVersion  # isort: skip
from inventory.models.roadmap import (  # isort: skip
    EffectAction,
    EffectTarget,
    FundingSource,
    RoadmapPhase,
    RoadmapPlan,
    RoadmapTask,
    RoadmapTaskEffect,
    TaskStatus,
    TaskType,
)

__all__ = [
    "SECRET_FIELDS",
    "Agency",
    "AgencyKind",
    "ApiToken",
    "Base",
    "ChangeAction",
    "Contract",
    "ContractKind",
    "CredentialKind",
    "CredentialsProfile",
    "CustomFieldDefinition",
    "CustomFieldType",
    "DataClassification",
    "DataObject",
    "Dependency",
    "Deployment",
    "Device",
    "DevicePollStatus",
    "DeviceRole",
    "DeviceType",
    "DiscoveredFact",
    "EdgeKind",
    "EdgeState",
    "EffectAction",
    "EffectTarget",
    "Environment",
    "FactKind",
    "FactSource",
    "FactState",
    "FrameworkVersion",
    "FundingSource",
    "IPAddress",
    "InformationSystem",
    "Integration",
    "IntegrationChannel",
    "Interface",
    "LevelState",
    "LifecycleStatus",
    "Location",
    "Manufacturer",
    "MatchReason",
    "NodeType",
    "ObjectChange",
    "Platform",
    "PublicService",
    "Rack",
    "RedundancyGroup",
    "ReferenceModel",
    "ReferenceModelNode",
    "RoadmapPhase",
    "RoadmapPlan",
    "RoadmapTask",
    "RoadmapTaskEffect",
    "Role",
    "SecurityLevelRecord",
    "Site",
    "SiteKind",
    "SnmpAuthProtocol",
    "SnmpPrivProtocol",
    "SystemCategory",
    "SystemLifecycle",
    "SystemScope",
    "TaskStatus",
    "TaskType",
    "TimeAssessment",
    "TopologyVersion",
]
