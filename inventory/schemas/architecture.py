"""API bodies of the architecture layer: framework, systems, data, integrations, security, contracts,
roadmap, and the typed edges (dependencies, redundancy groups) they hang together by."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from inventory.models import (
    ContractKind,
    DataClassification,
    EdgeKind,
    EdgeState,
    EffectAction,
    EffectTarget,
    Environment,
    FundingSource,
    IntegrationChannel,
    LevelState,
    NodeType,
    ReferenceModel,
    SystemCategory,
    SystemLifecycle,
    SystemScope,
    TaskStatus,
    TaskType,
    TimeAssessment,
)
from inventory.schemas.common import (
    Code,
    Description,
    MoneyVND,
    Name,
    ObjectId,
    ShortText,
    Stored,
    Tagging,
    partial,
    text,
)

RefCode = Annotated[str, StringConstraints(min_length=1, max_length=50, strip_whitespace=True)]
RefCodes = Annotated[list[RefCode], Field(max_length=100)]
IdList = Annotated[list[ObjectId], Field(max_length=1000)]
Level = Annotated[int, Field(ge=1, le=5, description="Decree 85/2016 level, 1 (lowest) to 5")]
Percent = Annotated[int, Field(ge=0, le=100)]


def _in_order(first: date | None, then: date | None, names: str) -> None:
    if first and then and then < first:
        raise ValueError(f"{names} are out of order")


# --- framework --------------------------------------------------------------------------------


class FrameworkVersionCreate(Tagging):
    code: Annotated[str, Field(min_length=1, max_length=20)]
    name: Name
    issued_by: Name | None = None
    issued_on: date | None = None
    description: Description | None = None


FrameworkVersionUpdate = partial(FrameworkVersionCreate)


class FrameworkVersionRead(Stored):
    code: str
    name: str
    issued_by: str | None
    issued_on: date | None
    description: str | None


class ReferenceModelNodeCreate(Tagging):
    framework_id: ObjectId
    model: ReferenceModel
    code: RefCode
    name: Name
    parent_id: ObjectId | None = None
    description: Description | None = None


ReferenceModelNodeUpdate = partial(ReferenceModelNodeCreate)


class ReferenceModelNodeRead(Stored):
    framework_id: int
    model: ReferenceModel
    code: str
    name: str
    parent_id: int | None
    description: str | None


# --- systems ----------------------------------------------------------------------------------


class InformationSystemCreate(Tagging):
    name: Name
    code: Code | None = None
    category: SystemCategory
    scope: SystemScope
    parent_id: ObjectId | None = None
    owner_agency_id: ObjectId | None = None
    operating_agency_id: ObjectId | None = None
    using_agency_ids: IdList = Field(default_factory=list)
    vendor: Name | None = None
    lifecycle: SystemLifecycle = SystemLifecycle.active
    planned_on: date | None = None
    phase_in_on: date | None = None
    active_on: date | None = None
    phase_out_on: date | None = None
    retired_on: date | None = None
    user_count: Annotated[int, Field(ge=0, le=10**8)] | None = None
    framework_id: ObjectId | None = None
    reference_codes: RefCodes = Field(default_factory=list)
    time_assessment: TimeAssessment | None = None
    url: text(500) | None = None  # type: ignore[valid-type]
    description: Description | None = None

    @model_validator(mode="after")
    def _lifecycle_dates_in_order(self) -> InformationSystemCreate:
        dates = [self.planned_on, self.phase_in_on, self.active_on, self.phase_out_on, self.retired_on]
        known = [d for d in dates if d is not None]
        if known != sorted(known):
            raise ValueError(
                "lifecycle dates (planned_on, phase_in_on, active_on, phase_out_on, retired_on) "
                "are out of order"
            )
        return self


InformationSystemUpdate = partial(InformationSystemCreate)


class InformationSystemRead(Stored):
    name: str
    code: str | None
    category: SystemCategory
    scope: SystemScope
    parent_id: int | None
    owner_agency_id: int | None
    operating_agency_id: int | None
    using_agency_ids: list[int]
    vendor: str | None
    lifecycle: SystemLifecycle
    planned_on: date | None
    phase_in_on: date | None
    active_on: date | None
    phase_out_on: date | None
    retired_on: date | None
    user_count: int | None
    framework_id: int | None
    reference_codes: list[str]
    time_assessment: TimeAssessment | None
    url: str | None
    description: str | None


class PublicServiceCreate(Tagging):
    name: text(500, 1)  # type: ignore[valid-type]
    code: Code | None = None
    agency_id: ObjectId | None = None
    online_level: Annotated[str, Field(pattern="^(full_online|partial_online)$")] | None = None
    description: Description | None = None


PublicServiceUpdate = partial(PublicServiceCreate)


class PublicServiceRead(Stored):
    name: str
    code: str | None
    agency_id: int | None
    online_level: str | None
    description: str | None


class DeploymentCreate(Tagging):
    system_id: ObjectId
    environment: Environment
    device_id: ObjectId | None = None
    vm_name: Name | None = None
    cloud_service: Name | None = None
    component: ShortText | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def _runs_somewhere(self) -> DeploymentCreate:
        if self.device_id is None and self.cloud_service is None:
            raise ValueError("a deployment needs a device_id (physical or VM host) or a cloud_service")
        return self


DeploymentUpdate = partial(DeploymentCreate)


class DeploymentRead(Stored):
    system_id: int
    environment: Environment
    device_id: int | None
    vm_name: str | None
    cloud_service: str | None
    component: str | None
    description: str | None


class DataObjectCreate(Tagging):
    name: Name
    code: Code | None = None
    kind: Annotated[str, Field(pattern="^(dataset|database)$")] = "dataset"
    steward_agency_id: ObjectId | None = None
    system_id: ObjectId | None = None
    classification: DataClassification = DataClassification.shared
    reference_codes: RefCodes = Field(default_factory=list)
    description: Description | None = None


DataObjectUpdate = partial(DataObjectCreate)


class DataObjectRead(Stored):
    name: str
    code: str | None
    kind: str
    steward_agency_id: int | None
    system_id: int | None
    classification: DataClassification
    reference_codes: list[str]
    description: str | None


class IntegrationCreate(Tagging):
    name: Name
    source_system_id: ObjectId
    target_system_id: ObjectId | None = None
    external_party: Name | None = None
    channel: IntegrationChannel
    status: SystemLifecycle = SystemLifecycle.active
    data_object_ids: IdList = Field(default_factory=list)
    description: Description | None = None

    @model_validator(mode="after")
    def _two_ends(self) -> IntegrationCreate:
        if self.target_system_id is None and not self.external_party:
            raise ValueError("an integration needs a target_system_id or an external_party")
        if self.source_system_id == self.target_system_id:
            raise ValueError("target_system_id must differ from source_system_id")
        return self


IntegrationUpdate = partial(IntegrationCreate)


class IntegrationRead(Stored):
    name: str
    source_system_id: int
    target_system_id: int | None
    external_party: str | None
    channel: IntegrationChannel
    status: SystemLifecycle
    data_object_ids: list[int]
    description: str | None


# --- security levels --------------------------------------------------------------------------


class SecurityLevelCreate(Tagging):
    system_id: ObjectId
    proposed_level: Level
    criteria: Description | None = None
    state: LevelState = LevelState.draft
    decision_number: ShortText | None = None
    decision_date: date | None = None
    documents: Annotated[list[text(500, 1)], Field(max_length=50)] = Field(  # type: ignore[valid-type]
        default_factory=list
    )
    redetermination_reason: text(500) | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _approval_has_a_decision(self) -> SecurityLevelCreate:
        if self.state is LevelState.approved and not (self.decision_number and self.decision_date):
            raise ValueError("an approved level needs decision_number and decision_date")
        return self


SecurityLevelUpdate = partial(SecurityLevelCreate)


class SecurityLevelRead(Stored):
    system_id: int
    proposed_level: int
    criteria: str | None
    state: LevelState
    decision_number: str | None
    decision_date: date | None
    documents: list[str]
    redetermination_reason: str | None


# --- contracts --------------------------------------------------------------------------------


class ContractCreate(Tagging):
    name: Name
    code: text(100, 1) | None = None  # type: ignore[valid-type]
    kind: ContractKind
    vendor: Name | None = None
    agency_id: ObjectId | None = None
    start_date: date | None = None
    end_date: date | None = None
    value_vnd: MoneyVND | None = None
    device_ids: IdList = Field(default_factory=list)
    system_ids: IdList = Field(default_factory=list)
    description: Description | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> ContractCreate:
        _in_order(self.start_date, self.end_date, "start_date and end_date")
        return self


ContractUpdate = partial(ContractCreate)


class ContractRead(Stored):
    name: str
    code: str | None
    kind: ContractKind
    vendor: str | None
    agency_id: int | None
    start_date: date | None
    end_date: date | None
    value_vnd: int | None
    device_ids: list[int]
    system_ids: list[int]
    description: str | None


# --- roadmap ----------------------------------------------------------------------------------


class RoadmapPlanCreate(Tagging):
    name: Name
    decision_number: ShortText | None = None
    decision_date: date | None = None
    period_start: date | None = None
    period_end: date | None = None
    framework_id: ObjectId | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def _period_in_order(self) -> RoadmapPlanCreate:
        _in_order(self.period_start, self.period_end, "period_start and period_end")
        return self


RoadmapPlanUpdate = partial(RoadmapPlanCreate)


class RoadmapPlanRead(Stored):
    name: str
    decision_number: str | None
    decision_date: date | None
    period_start: date | None
    period_end: date | None
    framework_id: int | None
    description: str | None


class RoadmapPhaseCreate(Tagging):
    plan_id: ObjectId
    name: Name
    ordinal: Annotated[int, Field(ge=1, le=100)] = 1
    start_date: date | None = None
    end_date: date | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> RoadmapPhaseCreate:
        _in_order(self.start_date, self.end_date, "start_date and end_date")
        return self


RoadmapPhaseUpdate = partial(RoadmapPhaseCreate)


class RoadmapPhaseRead(Stored):
    plan_id: int
    name: str
    ordinal: int
    start_date: date | None
    end_date: date | None
    description: str | None


class RoadmapTaskCreate(Tagging):
    phase_id: ObjectId
    name: text(500, 1)  # type: ignore[valid-type]
    code: Code | None = None
    type: TaskType
    lead_agency_id: ObjectId | None = None
    coordinating_agency_ids: IdList = Field(default_factory=list)
    deadline: date | None = None
    budget_estimated_vnd: MoneyVND = 0
    budget_approved_vnd: MoneyVND = 0
    budget_disbursed_vnd: MoneyVND = 0
    funding_source: FundingSource
    status: TaskStatus = TaskStatus.proposed
    percent_complete: Percent = 0
    completed_on: date | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def _disbursed_within_approved(self) -> RoadmapTaskCreate:
        if self.budget_disbursed_vnd > self.budget_approved_vnd:
            raise ValueError("budget_disbursed_vnd must not exceed budget_approved_vnd")
        return self


RoadmapTaskUpdate = partial(RoadmapTaskCreate)


class RoadmapTaskRead(Stored):
    phase_id: int
    name: str
    code: str | None
    type: TaskType
    lead_agency_id: int | None
    coordinating_agency_ids: list[int]
    deadline: date | None
    budget_estimated_vnd: int
    budget_approved_vnd: int
    budget_disbursed_vnd: int
    funding_source: FundingSource
    status: TaskStatus
    percent_complete: int
    completed_on: date | None
    description: str | None


class RoadmapTaskEffectCreate(Tagging):
    task_id: ObjectId
    action: EffectAction
    target_type: EffectTarget
    target_id: ObjectId


RoadmapTaskEffectUpdate = partial(RoadmapTaskEffectCreate)


class RoadmapTaskEffectRead(Stored):
    task_id: int
    action: EffectAction
    target_type: EffectTarget
    target_id: int


# --- typed edges ------------------------------------------------------------------------------


class RedundancyGroupCreate(Tagging):
    name: Name
    min_up: Annotated[int, Field(ge=1, le=1000, description="How many members must be up")] = 1
    description: Description | None = None


RedundancyGroupUpdate = partial(RedundancyGroupCreate)


class RedundancyGroupRead(Stored):
    name: str
    min_up: int
    description: str | None


class DependencyCreate(Tagging):
    source_type: NodeType
    source_id: ObjectId
    kind: EdgeKind
    target_type: NodeType
    target_id: ObjectId
    redundancy_group_id: ObjectId | None = None
    state: EdgeState = EdgeState.confirmed
    origin: Annotated[str, Field(min_length=1, max_length=50)] = "manual"
    description: Description | None = None


DependencyUpdate = partial(DependencyCreate)


class DependencyRead(Stored):
    source_type: NodeType
    source_id: int
    kind: EdgeKind
    target_type: NodeType
    target_id: int
    redundancy_group_id: int | None
    state: EdgeState
    origin: str
    description: str | None
