"""The impact algorithm on small graphs: redundancy groups, terminal agencies, single points of failure."""

from __future__ import annotations

from inventory.impact import EdgeRow, ImpactGraph

CLUSTER = 7


def cluster_graph(min_up: int) -> ImpactGraph:
    """An app on a 3-host cluster (group CLUSTER), each host on its own switch; the app serves an agency."""
    edges = [EdgeRow("information_system", 1, "hosted_on", "device", host, CLUSTER) for host in (11, 12, 13)]
    edges += [EdgeRow("device", host, "depends_on", "device", host + 10) for host in (11, 12, 13)]
    edges.append(EdgeRow("information_system", 1, "serves", "agency", 100))
    edges.append(EdgeRow("agency", 100, "depends_on", "device", 99))  # agencies never propagate further
    edges.append(EdgeRow("information_system", 2, "depends_on", "agency", 100))
    return ImpactGraph(edges, {CLUSTER: min_up})


def test_a_redundancy_group_keeps_the_system_up_while_min_up_members_are() -> None:
    graph = cluster_graph(min_up=2)
    result = graph.fail([("device", 21)])  # switch of host 11: the host goes, two remain
    assert [lost.node for lost in result.lost] == [("device", 11)]
    assert len(result.degraded) == 1
    degraded = result.degraded[0]
    assert (degraded.node, degraded.up, degraded.min_up) == (("information_system", 1), 2, 2)


def test_losing_one_member_too_many_takes_the_system_and_what_it_serves_down() -> None:
    graph = cluster_graph(min_up=2)
    result = graph.fail([("device", 21), ("device", 12)])
    lost = {item.node: item for item in result.lost}
    assert set(lost) == {("device", 11), ("information_system", 1), ("agency", 100)}
    # Host 12 fails at depth 0 (one member lost, two up); host 11 goes at depth 1 and finishes it off.
    assert (lost[("information_system", 1)].cause, lost[("information_system", 1)].depth) == (
        ("device", 11),
        2,
    )
    assert lost[("agency", 100)].cause == ("information_system", 1)
    assert result.degraded == []
    # The agency lost a service, but system 2 (which "needs" the agency) is not dragged down by it.
    assert ("information_system", 2) not in lost


def test_min_up_one_survives_until_the_last_member() -> None:
    graph = cluster_graph(min_up=1)
    assert graph.fail([("device", 11), ("device", 12)]).lost == []
    everything = graph.fail([("device", 11), ("device", 12), ("device", 13)])
    assert ("information_system", 1) in {item.node for item in everything.lost}


def test_needs_marks_common_mode_failures_as_single_points() -> None:
    # Two hosts in a group, both on one storage array: the array is a single point, each host is not.
    edges = [
        EdgeRow("information_system", 1, "hosted_on", "device", 11, CLUSTER),
        EdgeRow("information_system", 1, "hosted_on", "device", 12, CLUSTER),
        EdgeRow("device", 11, "depends_on", "device", 50),
        EdgeRow("device", 12, "depends_on", "device", 50),
        EdgeRow("information_system", 1, "depends_on", "information_system", 2),
        EdgeRow("device", 50, "connected_to", "device", 51),  # a link, not a need
    ]
    graph = ImpactGraph(edges, {CLUSTER: 1})
    needed = {item.node: item for item in graph.needs(("information_system", 1))}
    assert set(needed) == {("device", 11), ("device", 12), ("device", 50), ("information_system", 2)}
    assert needed[("device", 50)].depth == 2
    assert needed[("device", 50)].single_point is True
    assert needed[("information_system", 2)].single_point is True
    assert needed[("device", 11)].single_point is False
    assert graph.needs(("device", 999)) == []


def test_flows_and_serves_point_the_need_at_the_source() -> None:
    graph = ImpactGraph(
        [
            EdgeRow("information_system", 1, "flows_to", "information_system", 2),
            EdgeRow("information_system", 2, "serves", "public_service", 5),
        ],
        {},
    )
    lost = [item.node for item in graph.fail([("information_system", 1)]).lost]
    assert lost == [("information_system", 2), ("public_service", 5)]
    assert graph.fail([("public_service", 5)]).lost == []
