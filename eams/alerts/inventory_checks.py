"""Inventory rules: dates on a device (warranty, vendor support, end of life) coming within N days.

Checks are pluggable: a later layer registers its own (contract or licence expiry from the
architecture's contracts) with `register_inventory_check`, and rules name them in `check:`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from eams.alerts.directory import DeviceInfo

# (device, today, days) -> (condition holds, detail shown in the message)
InventoryCheck = Callable[[DeviceInfo, date, int], tuple[bool, str]]

INVENTORY_CHECKS: dict[str, InventoryCheck] = {}


def register_inventory_check(name: str, check: InventoryCheck) -> None:
    INVENTORY_CHECKS[name] = check


def date_within(attribute: str) -> InventoryCheck:
    def check(device: DeviceInfo, today: date, days: int) -> tuple[bool, str]:
        when = device.dates.get(attribute)
        if when is None:
            return False, ""
        return (when - today).days <= days, when.isoformat()

    return check


# Device and device-type dates, and the end of cover of each contract kind (the architecture
# layer's contracts: warranty, support, service lease, licence) covering the device.
for _name in (
    "warranty_end",
    "end_of_sale",
    "end_of_support",
    "end_of_life",
    "warranty_contract_end",
    "support_contract_end",
    "service_lease_contract_end",
    "licence_contract_end",
):
    register_inventory_check(_name, date_within(_name))
