"""Devices as a planner's spreadsheet: CSV with human columns in, the same CSV out.

References are written the way people write them (site name, agency code or name, manufacturer
and model, credentials profile name) and resolved to ids here; values are then validated by the
same pydantic schemas as the JSON API. Writing is left to the caller, which applies the API's own
write checks, so an import and a POST refuse the same things with the same words.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.dates import parse_date
from inventory.models import (
    Agency,
    CredentialsProfile,
    Device,
    DeviceType,
    Manufacturer,
    Platform,
    Rack,
    Site,
)
from inventory.schemas.devices import DeviceCreate, DeviceUpdate
from inventory.text import nfc

COLUMNS = (
    "name",
    "role",
    "manufacturer",
    "model",
    "platform",
    "serial",
    "asset_tag",
    "firmware_version",
    "management_ip",
    "site",
    "rack",
    "position",
    "owner_agency",
    "operating_agency",
    "status",
    "purchase_date",
    "purchase_cost_vnd",
    "warranty_end",
    "credentials",
    "tags",
    "description",
)
# Columns copied as they are into the schema field of the same name.
PLAIN_COLUMNS = frozenset(
    {"name", "role", "serial", "asset_tag", "firmware_version", "management_ip", "status", "description"}
)
DATE_COLUMNS = frozenset({"purchase_date", "warranty_end"})
# Which column to blame when the schema or a write check names a field.
FIELD_COLUMNS = {
    "device_type_id": "model",
    "platform_id": "platform",
    "site_id": "site",
    "rack_id": "rack",
    "owner_agency_id": "owner_agency",
    "operating_agency_id": "operating_agency",
    "credentials_id": "credentials",
}
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
MAX_ERRORS = 200
UTF8_BOM = "\ufeff"


class CsvFileError(ValueError):
    """The file as a whole cannot be read (encoding, header, size)."""


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


class RowInvalid(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class CsvRow:
    row: int
    cells: dict[str, str]  # only the columns the file has, stripped

    @property
    def name(self) -> str:
        return self.cells.get("name", "")


def column_for(field_name: str | None) -> str | None:
    if field_name is None:
        return None
    head = field_name.split(".", 1)[0]
    return FIELD_COLUMNS.get(head, head)


# ---------------------------------------------------------------------------------------------
# Reading the file


def read_rows(data: bytes) -> tuple[list[str], list[CsvRow]]:
    """The header and the non-blank rows of a UTF-8 CSV (with or without BOM; `,` or `;`)."""
    if len(data) > MAX_BYTES:
        raise CsvFileError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvFileError(
            f"the file is not UTF-8 (byte {exc.start}); in Excel save it as 'CSV UTF-8'"
        ) from None
    if not text.strip():
        raise CsvFileError("the file is empty; the first row must name the columns, e.g. name,role")
    first_line = text.split("\n", 1)[0]
    # Excel in a Vietnamese locale separates with ';' (the ',' is the decimal mark there).
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise CsvFileError(f"the file is not valid CSV: {exc}") from None
    header = [normalise_header(cell) for cell in records[0]]
    check_header(header)
    rows: list[CsvRow] = []
    for index, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(header):
            extra = [c for c in record[len(header) :] if c.strip()]
            if extra:
                raise CsvFileError(f"row {index} has {len(record)} cells but the header names {len(header)}")
        cells = {
            name: (nfc(restore(record[i].strip())) if i < len(record) else "")
            for i, name in enumerate(header)
        }
        rows.append(CsvRow(index, cells))
        if len(rows) > MAX_ROWS:
            raise CsvFileError(f"the file has more than {MAX_ROWS} rows; split it")
    return header, rows


def normalise_header(cell: str) -> str:
    name = re.sub(r"[\s\-]+", "_", cell.strip().lstrip(UTF8_BOM).lower())
    return {"owner_agency_id": "owner_agency", "operating_agency_id": "operating_agency"}.get(name, name)


def check_header(header: Sequence[str]) -> None:
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise CsvFileError(
            f"unknown column(s) {', '.join(repr(u) for u in unknown)} in row 1; "
            f"the columns are: {', '.join(COLUMNS)}"
        )
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise CsvFileError(f"column(s) {', '.join(duplicated)} appear more than once in row 1")
    if "name" not in header:
        raise CsvFileError("the file needs a 'name' column (devices are matched by name)")


# ---------------------------------------------------------------------------------------------
# Names <-> ids


@dataclass
class References:
    """The reference tables, loaded once per import or export, both ways."""

    agencies: dict[int, Agency] = field(default_factory=dict)
    sites: dict[int, Site] = field(default_factory=dict)
    racks: dict[int, Rack] = field(default_factory=dict)
    device_types: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (manufacturer, model)
    platforms: dict[int, str] = field(default_factory=dict)
    credentials: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> References:
        refs = cls()
        refs.agencies = {a.id: a for a in session.scalars(select(Agency))}
        refs.sites = {s.id: s for s in session.scalars(select(Site))}
        refs.racks = {r.id: r for r in session.scalars(select(Rack))}
        rows = session.execute(
            select(DeviceType.id, Manufacturer.name, DeviceType.model).join(
                Manufacturer, DeviceType.manufacturer_id == Manufacturer.id
            )
        )
        refs.device_types = {row[0]: (row[1], row[2]) for row in rows}
        refs.platforms = {row[0]: row[1] for row in session.execute(select(Platform.id, Platform.name))}
        refs.credentials = {
            row[0]: row[1] for row in session.execute(select(CredentialsProfile.id, CredentialsProfile.name))
        }
        return refs

    # names -> ids (import)

    def agency_id(self, text: str) -> int:
        folded = text.casefold()
        by_code = [a.id for a in self.agencies.values() if a.code and a.code.casefold() == folded]
        if by_code:
            return by_code[0]
        by_name = [a.id for a in self.agencies.values() if a.name.casefold() == folded]
        if len(by_name) == 1:
            return by_name[0]
        if by_name:
            raise ValueError(f"{len(by_name)} agencies are named {text!r}; give the agency's code instead")
        raise ValueError(f"no agency has the code or name {text!r}")

    def site_id(self, text: str) -> int:
        folded = text.casefold()
        for site in self.sites.values():
            if site.name.casefold() == folded or (site.code and site.code.casefold() == folded):
                return site.id
        raise ValueError(f"no site has the name or code {text!r}")

    def rack_id(self, text: str, site_id: int | None) -> int:
        if site_id is None:
            raise ValueError("a rack is named within its site; fill in the site column too")
        for rack in self.racks.values():
            if rack.site_id == site_id and rack.name.casefold() == text.casefold():
                return rack.id
        raise ValueError(f"site {self.sites[site_id].name!r} has no rack {text!r}")

    def device_type_id(self, manufacturer: str, model: str) -> int:
        if not model:
            raise ValueError("a manufacturer without a model names no device type; fill in the model")
        matches = [
            type_id
            for type_id, (maker, name) in self.device_types.items()
            if name.casefold() == model.casefold()
            and (not manufacturer or maker.casefold() == manufacturer.casefold())
        ]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise ValueError(f"several manufacturers make a model {model!r}; fill in the manufacturer")
        maker = f" by {manufacturer!r}" if manufacturer else ""
        raise ValueError(f"no device type {model!r}{maker}; add it under /api/v1/device-types first")

    def platform_id(self, text: str) -> int:
        return _by_name(self.platforms, text, "platform")

    def credentials_id(self, text: str) -> int:
        return _by_name(self.credentials, text, "credentials profile")

    # ids -> names (export)

    def agency_label(self, agency_id: int | None) -> str:
        if agency_id is None:
            return ""
        agency = self.agencies[agency_id]
        return agency.code or agency.name


def _by_name(names: dict[int, str], text: str, what: str) -> int:
    for object_id, name in names.items():
        if name.casefold() == text.casefold():
            return object_id
    raise ValueError(f"no {what} is named {text!r}")


# ---------------------------------------------------------------------------------------------
# A row -> a validated payload


def payload_for(row: CsvRow, refs: References, *, existing: bool) -> BaseModel:
    """DeviceCreate for a new device, DeviceUpdate (only the file's columns) for an existing one."""
    values, errors = _values(row, refs)
    schema: type[BaseModel] = DeviceUpdate if existing else DeviceCreate
    try:
        payload = schema.model_validate(values)
    except ValidationError as exc:
        blamed = {error.column for error in errors}
        for problem in exc.errors():
            column = column_for(".".join(str(part) for part in problem["loc"])) or None
            if column not in blamed:
                errors.append(RowError(row.row, column, _message(problem)))
    if errors:
        raise RowInvalid(errors)
    return payload


def _message(error: Any) -> str:
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def _values(row: CsvRow, refs: References) -> tuple[dict[str, Any], list[RowError]]:
    cells = row.cells
    values: dict[str, Any] = {}
    errors: list[RowError] = []

    def resolve(column: str, target: str, fn: Any, *args: Any) -> None:
        try:
            values[target] = fn(*args)
        except ValueError as exc:
            errors.append(RowError(row.row, column, str(exc)))

    for column in PLAIN_COLUMNS & cells.keys():
        values[column] = cells[column] or None
    if "position" in cells:
        values["position"] = cells["position"] or None
    for column in DATE_COLUMNS & cells.keys():
        try:
            values[column] = parse_date(cells[column])
        except ValueError as exc:
            errors.append(RowError(row.row, column, str(exc)))
    if "purchase_cost_vnd" in cells:
        try:
            values["purchase_cost_vnd"] = parse_money(cells["purchase_cost_vnd"])
        except ValueError as exc:
            errors.append(RowError(row.row, "purchase_cost_vnd", str(exc)))
    if "tags" in cells:
        values["tags"] = [tag.strip() for tag in cells["tags"].split(";") if tag.strip()]
    if "model" in cells or "manufacturer" in cells:
        model, maker = cells.get("model", ""), cells.get("manufacturer", "")
        column = "model" if model or not maker else "manufacturer"
        values["device_type_id"] = None
        if model or maker:
            resolve(column, "device_type_id", refs.device_type_id, maker, model)
    for column, target, fn in (
        ("platform", "platform_id", refs.platform_id),
        ("site", "site_id", refs.site_id),
        ("owner_agency", "owner_agency_id", refs.agency_id),
        ("operating_agency", "operating_agency_id", refs.agency_id),
        ("credentials", "credentials_id", refs.credentials_id),
    ):
        if column in cells:
            values[target] = None
            if cells[column]:
                resolve(column, target, fn, cells[column])
    if "rack" in cells:
        values["rack_id"] = None
        if cells["rack"]:
            if "site" in cells and cells["site"] and values.get("site_id") is None:
                pass  # the site's own error says it all
            else:
                resolve("rack", "rack_id", refs.rack_id, cells["rack"], values.get("site_id"))
    return values, errors


CURRENCY_SUFFIXES = ("₫", "đ", "vnđ", "vnd", "dong", "đồng")
# Spaces (also the no-break and narrow no-break ones spreadsheets use) and '_' only ever group digits.
GROUP_ONLY = re.compile(r"[ \u00a0\u202f_]")
GROUPED = re.compile(r"\d{1,3}(?:[.,]\d{3})+")


def parse_money(text: str) -> int | None:
    """Whole dong as written in either convention, or a ValueError that says why not.

    Vietnamese: '.' groups thousands, ',' marks the decimals (1.250.000, 1.250.000,00);
    international: the reverse (1,250,000, 1,250,000.00); spaces group in both. With both marks the
    last one is the decimal mark. With one mark used once and exactly three digits after it
    (1.250, 1,250) the two conventions disagree by a factor of 1,000, so it is refused as
    ambiguous. Decimals must be zero: an amount in dong is whole, and nothing is rounded.
    """
    compact = GROUP_ONLY.sub("", _without_currency(text.strip()))
    if not compact:
        return None
    if not re.fullmatch(r"\d[\d.,]*", compact) or compact[-1] in ".,":
        raise ValueError(
            f"{text!r} is not an amount in dong (a whole number, e.g. 1250000000 or 1.250.000.000)"
        )
    marks = [ch for ch in compact if ch in ".,"]
    whole, fraction = compact, ""
    if marks:
        if len(set(marks)) == 2:
            decimal_mark = marks[-1]
        elif len(marks) > 1:
            decimal_mark = None  # the same mark repeated only ever groups thousands
        elif len(compact.split(marks[0])[1]) == 3:
            raise ValueError(
                f"{text!r} is ambiguous: 1.250 is 1250 in Vietnamese and 1.25 in English; "
                "write the amount without separators (1250) or with all of them (1.250.000)"
            )
        else:
            decimal_mark = marks[0]
        if decimal_mark is not None:
            whole, _, fraction = compact.rpartition(decimal_mark)
            if not fraction.isdigit():
                raise ValueError(f"{text!r}: more than one decimal mark {decimal_mark!r}")
        group_mark = {".": ",", ",": "."}.get(decimal_mark or "", marks[0])
        if (decimal_mark and decimal_mark in whole) or not _grouped(whole, group_mark):
            raise ValueError(
                f"{text!r}: thousands must be grouped by three with one kind of mark (1.250.000 or 1,250,000)"
            )
    if fraction.strip("0"):
        raise ValueError(f"{text!r} has a fraction of a dong; amounts are whole dong and nothing is rounded")
    return int(re.sub(r"[.,]", "", whole))


def _without_currency(text: str) -> str:
    lowered = text.casefold()
    for suffix in CURRENCY_SUFFIXES:
        if lowered.endswith(suffix):
            return text[: -len(suffix)].strip()
    return text


def _grouped(whole: str, group_mark: str) -> bool:
    if whole.isdigit():
        return True
    return GROUPED.fullmatch(whole) is not None and set(re.sub(r"\d", "", whole)) == {group_mark}


# ---------------------------------------------------------------------------------------------
# Devices -> CSV


def device_cells(device: Device, refs: References) -> list[str]:
    maker, model = (
        refs.device_types.get(device.device_type_id, ("", "")) if device.device_type_id else ("", "")
    )
    rack = refs.racks.get(device.rack_id) if device.rack_id else None
    site = refs.sites.get(device.site_id) if device.site_id else None
    cells: dict[str, Any] = {
        "name": device.name,
        "role": device.role.value,
        "manufacturer": maker,
        "model": model,
        "platform": refs.platforms.get(device.platform_id, "") if device.platform_id else "",
        "serial": device.serial,
        "asset_tag": device.asset_tag,
        "firmware_version": device.firmware_version,
        "management_ip": device.management_ip,
        "site": site.name if site else "",
        "rack": rack.name if rack else "",
        "position": device.position,
        "owner_agency": refs.agency_label(device.owner_agency_id),
        "operating_agency": refs.agency_label(device.operating_agency_id),
        "status": device.status.value,
        "purchase_date": device.purchase_date.isoformat() if device.purchase_date else "",
        "purchase_cost_vnd": None if device.purchase_cost_vnd is None else int(device.purchase_cost_vnd),
        "warranty_end": device.warranty_end.isoformat() if device.warranty_end else "",
        "credentials": refs.credentials.get(device.credentials_id, "") if device.credentials_id else "",
        "tags": ";".join(device.tags or []),
        "description": device.description,
    }
    return [defuse("" if cells[c] is None else str(cells[c])) for c in COLUMNS]


# A cell starting with one of these is a formula to Excel and LibreOffice (CSV injection): exported
# text gets a leading apostrophe, which spreadsheets hide and import takes off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def restore(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def export_lines(devices: Iterable[Device], refs: References) -> Iterator[str]:
    """The CSV, line by line, starting with a UTF-8 BOM so that Excel shows Vietnamese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield UTF8_BOM + buffer.getvalue()
    for device in devices:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(device_cells(device, refs))
        yield buffer.getvalue()
