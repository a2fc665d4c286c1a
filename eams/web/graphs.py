"""Reports turned into the node/edge lists Cytoscape.js draws (impact and dependency graphs)."""

from __future__ import annotations

from typing import Any

from inventory.reports.table import Report


def node_id(node_type: Any, ident: Any) -> str:
    return f"{node_type}:{ident}"


def impact_graph(report: Report, failed: list[tuple[str, int, str]]) -> dict[str, list[dict[str, Any]]]:
    """Failed nodes in red, what loses service in pink, what a redundancy group holds up in yellow;
    an edge from each lost node's cause to it."""
    nodes: dict[str, dict[str, Any]] = {}
    edges: list[dict[str, Any]] = []
    for kind, ident, name in failed:
        nodes[node_id(kind, ident)] = {"id": node_id(kind, ident), "label": name, "kind": "failed"}
    lost = report.table("lost").records()
    for row in lost:
        key = node_id(row["node_type"], row["node_id"])
        nodes.setdefault(key, {"id": key, "label": row["name"], "kind": "lost"})
    for row in lost:
        if row["cause_type"] is None:
            continue
        cause = node_id(row["cause_type"], row["cause_id"])
        nodes.setdefault(cause, {"id": cause, "label": row["cause"], "kind": "lost"})
        target = node_id(row["node_type"], row["node_id"])
        edges.append({"id": f"{cause}>{target}", "source": cause, "target": target})
    for row in report.table("degraded").records():
        key = node_id(row["node_type"], row["node_id"])
        nodes.setdefault(key, {"id": key, "label": row["name"], "kind": "degraded"})
    return {"nodes": list(nodes.values()), "edges": edges}


def needs_graph(report: Report, root: tuple[str, int, str]) -> dict[str, list[dict[str, Any]]]:
    """What a node needs: an edge from each provider to what it serves (toward the root)."""
    kind, ident, name = root
    top = node_id(kind, ident)
    nodes: dict[str, dict[str, Any]] = {top: {"id": top, "label": name, "kind": "root"}}
    edges: list[dict[str, Any]] = []
    for row in report.table("needs").records():
        key = node_id(row["node_type"], row["node_id"])
        nodes.setdefault(
            key, {"id": key, "label": row["name"], "kind": "failed" if row["single_point"] else "needed"}
        )
        via = node_id(row["via_type"], row["via_id"])
        nodes.setdefault(via, {"id": via, "label": row["via"], "kind": "needed"})
        edges.append({"id": f"{key}>{via}", "source": key, "target": via})
    return {"nodes": list(nodes.values()), "edges": edges}
