"""Reads inventory facts and LLDP/CDP neighbours out of parsed command output, as the platform's
YAML says (`facts:` and `neighbour_fields:`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors.ssh.parsing import CommandResult
from collectors.ssh.platforms import Platform
from inventory.discovery import ObservedDevice, ObservedNeighbour
from inventory.models import FactSource


def _first_text(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((item for item in value if item), None)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def read_facts(platform: Platform, results: list[CommandResult]) -> dict[str, str]:
    """{fact: value} for every fact the platform maps and the output holds (first source wins)."""
    by_purpose: dict[str, list[Mapping[str, Any]]] = {}
    for result in results:
        if result.parsed:
            by_purpose.setdefault(result.purpose, []).extend(result.parsed)
    facts: dict[str, str] = {}
    for fact, sources in platform.facts.items():
        for source in sources:
            value = next(
                (
                    found
                    for row in by_purpose.get(source.purpose, [])
                    if (found := _first_text(row.get(source.field)))
                ),
                None,
            )
            if value:
                facts[fact] = value
                break
    return facts


def read_neighbours(platform: Platform, results: list[CommandResult]) -> list[ObservedNeighbour]:
    fields = platform.neighbour_fields
    neighbours = []
    for result in results:
        if result.purpose != "neighbours" or not result.parsed:
            continue
        protocol = next(
            (spec.protocol for spec in platform.commands_for("neighbours") if spec.command == result.command),
            None,
        )
        for row in result.parsed:

            def get(key: str, row: Mapping[str, Any] = row) -> str | None:
                column = fields.get(key)
                return _first_text(row.get(column)) if column else None

            if not get("name") and not get("address"):
                continue
            neighbours.append(
                ObservedNeighbour(
                    protocol=protocol or "lldp",
                    local_port=get("local_port"),
                    name=get("name"),
                    address=get("address"),
                    remote_port=get("remote_port"),
                )
            )
    return neighbours


def observed_device(
    platform: Platform, facts: Mapping[str, str], address: str, device_id: int | None
) -> ObservedDevice:
    return ObservedDevice(
        source=FactSource.ssh,
        address=address,
        hostname=facts.get("hostname"),
        serial=facts.get("serial"),
        model=facts.get("model"),
        firmware_version=facts.get("firmware_version"),
        vendor=platform.vendor,
        device_id=device_id,
    )
