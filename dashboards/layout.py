"""A thin layer over the SDK's dashboard builder: stable panel ids, the datasource, common defaults.

The SDK lays panels out left to right (24 columns) but leaves ids to the caller; `Board` numbers
every panel and row in the order added, so ids are unique and stable between renders.
"""

from __future__ import annotations

from typing import Any, Protocol, Self, TypeVar

from grafana_foundation_sdk.builders import dashboard as sdk
from grafana_foundation_sdk.builders.common import ReduceDataOptions
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models import dashboard as model

from dashboards.queries import INFLUX, InfluxQL

TAGS = ["eams"]


class PanelBuilder(Protocol):
    """What every SDK panel builder (timeseries.Panel, table.Panel ...) has in common here."""

    def span(self, w: int) -> Self: ...
    def height(self, h: int) -> Self: ...
    def targets(self, targets: Any) -> Self: ...
    def build(self) -> model.Panel: ...


P = TypeVar("P", bound=PanelBuilder)


class Board:
    def __init__(self, uid: str, title: str, description: str, *, tags: list[str] | None = None) -> None:
        self.builder = (
            sdk.Dashboard(title)
            .uid(uid)
            .description(description)
            .tags([*TAGS, *(tags or [])])
            .time("now-6h", "now")
            .refresh("1m")
            .timezone("browser")
            .tooltip(model.DashboardCursorSync.CROSSHAIR)
            .annotation(
                # Grafana's own annotations and alert state changes, as a new dashboard has them.
                sdk.AnnotationQuery()
                .name("Annotations & Alerts")
                .datasource(model.DataSourceRef(type_val="grafana", uid="-- Grafana --"))
                .enable(True)
                .hide(True)
                .icon_color("rgba(0, 211, 255, 1)")
                .type("dashboard")
                .built_in(1)
            )
            .link(
                sdk.DashboardLink("EAMS dashboards")
                .type(model.DashboardLinkType.DASHBOARDS)
                .tags(TAGS)
                .as_dropdown(True)
                .include_vars(False)
                .keep_time(True)
            )
        )
        self._next_id = 1

    def _id(self) -> int:
        value = self._next_id
        self._next_id += 1
        return value

    def row(self, title: str) -> Board:
        self.builder.with_row(sdk.Row(title).id(self._id()))
        return self

    def add(self, panel: PanelBuilder) -> Board:
        built = panel.build()
        built.id_val = self._id()
        if built.datasource is None:
            built.datasource = INFLUX
        self.builder.with_panel(_Built(built))
        return self

    def variable(self, variable: cogbuilder.Builder[model.VariableModel]) -> Board:
        self.builder.with_variable(variable)
        return self

    def build(self) -> model.Dashboard:
        return self.builder.build()


class _Built(cogbuilder.Builder[model.Panel]):
    """An already-built panel, handed back to the dashboard builder for layout."""

    def __init__(self, panel: model.Panel) -> None:
        self.panel = panel

    def build(self) -> model.Panel:
        return self.panel


def size(panel: P, w: int, h: int) -> P:
    panel.span(w).height(h)
    return panel


def targets(panel: P, *queries: InfluxQL) -> P:
    """Several queries on one panel, lettered A, B, C ... Z, AA, AB ... in order (panels derived
    from meanings have one query per measurement, and may pass 26)."""
    for position, query in enumerate(queries):
        query.ref_id = ref_id(position)
    panel.targets(list(queries))
    return panel


def ref_id(position: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    name = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        name = letters[rest] + name
    return name


def last_value() -> ReduceDataOptions:
    return ReduceDataOptions().calcs(["lastNotNull"]).values(False)


def device_variable(measurement: str = "snmp_system", *, name: str = "device") -> sdk.QueryVariable:
    return (
        sdk.QueryVariable(name)
        .label("Device")
        .datasource(INFLUX)
        .query(f'SHOW TAG VALUES FROM "{measurement}" WITH KEY = "device"')
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(model.VariableSort.ALPHABETICAL_CASE_INSENSITIVE_ASC)
    )


def tag_variable(name: str, label: str, measurement: str = "collector") -> sdk.QueryVariable:
    """A multi-value filter with All, on a tag every polled sample carries (site, agency, role)."""
    return (
        sdk.QueryVariable(name)
        .label(label)
        .datasource(INFLUX)
        .query(f'SHOW TAG VALUES FROM "{measurement}" WITH KEY = "{name}"')
        .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(model.VariableSort.ALPHABETICAL_CASE_INSENSITIVE_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(model.VariableOption(selected=True, text="All", value="$__all"))
    )
