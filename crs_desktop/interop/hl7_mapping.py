"""Which chart item an HL7 result code stands for, and which chart unit a unit code is:
the shipped mapping file (resources/hl7-mapping.csv) and a ward's own lines.

The file holds codes, never clinical numbers: what a value may be, and how a unit
converts, is the domain's (validation.validate), as for every other way in.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from crs_desktop.domain.errors import UserError
from crs_desktop.domain.units import ucum_unit
from crs_desktop.domain.vocabulary import ITEMS, lookup_item
from crs_desktop.resources_path import resource_path

KINDS = ("code", "unit")
# A mapping file is a few hundred lines; a bigger one is not a mapping file.
MAX_MAPPING_BYTES = 1 << 20
# UCUM annotations ("{beats}/min") carry no meaning for the conversion (UCUM §6.4).
_ANNOTATION = re.compile(r"\{[^{}]*\}")
MDC = "MDC"
_SYSTEM_ALIASES = {"LOINC": "LN", "LN": "LN", "UCUM": "UCUM", "MDC": MDC}


class MappingFileError(UserError, ValueError):
    """A mapping file refused; the message names the file and the line."""


def default_mapping_path() -> Path:
    return resource_path("hl7-mapping.csv")


def _system(text: str) -> str:
    key = text.strip().upper()
    return _SYSTEM_ALIASES.get(key, key)


def all_units() -> frozenset[str]:
    """Every unit some item of the chart lists (the targets a unit line may name)."""
    return frozenset(unit for item in ITEMS.values() for unit in item.units)


@dataclass
class Mapping:
    """Result codes -> item names; unit codes -> chart units (see the mapping file)."""

    codes: dict[tuple[str, str], str] = field(default_factory=dict)
    units: dict[tuple[str, str], str] = field(default_factory=dict)

    def item_for(self, coded: list[str]) -> str | None:
        """The item an OBX-3 (its components: identifier, text, system, and the alternate
        identifier, text, system) stands for; None when the code is not mapped."""
        parts = [*coded, "", "", "", "", "", ""][:6]
        for code, text, system in ((parts[0], parts[1], parts[2]), (parts[3], parts[4], parts[5])):
            key = _system(system)
            found = self.codes.get((key, code.strip().upper()))
            if found is None and key == MDC:  # an MDC code may come by its name only
                found = self.codes.get((key, text.strip().upper()))
            if found is not None:
                return found
        return None

    def unit_for(self, item: str, coded: list[str]) -> str:
        """The chart unit of an OBX-6 (identifier, text, system) for an item; the unit as
        written when no line maps it (validate then names what the item allows)."""
        parts = [*coded, "", "", ""][:3]
        code, text, system = (p.strip() for p in parts)
        bare = ucum_unit(_ANNOTATION.sub("", code).strip())  # the old 'degF' is '[degF]'
        if bare in ITEMS[item].units:  # a unit the chart knows (UCUM): no line needed
            return bare
        wanted = _system(system)
        for candidate in (code.upper(), bare.upper(), text.upper()):
            if not candidate:
                continue
            for (unit_system, unit_code), target in self.units.items():
                if unit_code == candidate and (not wanted or unit_system == wanted):
                    return target
        return bare if bare or not code else code


def parse_mapping(text: str, name: str, into: Mapping | None = None) -> Mapping:
    """Read mapping lines (added to `into`, later lines winning); MappingFileError names a
    bad line."""
    mapping = into if into is not None else Mapping()
    units = all_units()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = [f.strip() for f in line.split(",")]
        where = f"{name}, line {number}"
        if len(fields) != 4 or not all(fields):
            raise MappingFileError(
                f"{where}: expected four fields kind,system,code,target "
                f"(e.g. code,LN,8310-5,temperature), got {raw.strip()[:80]!r}"
            )
        kind, system, code, target = fields
        kind = kind.lower()
        if kind not in KINDS:
            raise MappingFileError(f"{where}: kind {kind!r}: allowed code or unit")
        key = (_system(system), code.upper())
        if kind == "code":
            item = lookup_item(target)
            if item is None or not item.is_numeric:
                numeric = ", ".join(sorted(n for n, i in ITEMS.items() if i.is_numeric))
                raise MappingFileError(
                    f"{where}: item {target!r} is not a numeric item of the chart; "
                    f"allowed: {numeric}"
                )
            mapping.codes[key] = item.name
        else:
            target = ucum_unit(target)  # a ward's file written with the old 'degF'
            if target not in units:
                raise MappingFileError(
                    f"{where}: unit {target!r} is not a unit of the chart; "
                    f"allowed: {', '.join(sorted(units))}"
                )
            mapping.units[key] = target
    return mapping


def load_mapping(extra: str | os.PathLike[str] | None = None) -> Mapping:
    """The shipped mapping, with a ward's own file (its lines win) when given."""
    mapping = Mapping()
    paths = [default_mapping_path()] + ([Path(extra)] if extra is not None else [])
    for path in paths:
        try:
            if path.stat().st_size > MAX_MAPPING_BYTES:
                raise MappingFileError(f"{path}: larger than 1 MiB; not a mapping file")
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise MappingFileError(f"{path}: not UTF-8 text") from None
        except OSError as exc:
            raise MappingFileError(f"{path}: cannot be read ({exc.strerror})") from None
        parse_mapping(text, str(path), mapping)
    return mapping
