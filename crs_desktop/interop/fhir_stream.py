"""A FHIR Bundle file's entries, one at a time where the file allows it.

A Bundle this app exports (a 30-day chart: 200 MB) is written one entry a line, after a
first line that is the Bundle itself up to `"entry": [`. Read that way it is never held
whole (json.load of it would take 1.4 GB). Any other layout, or anything unexpected in
this one, is read whole with json.load instead, from the entry where the stream
stopped: each line read was one element of the entry list, so nothing is read twice and
the outcome is the same as reading the whole file (a file that is not JSON is refused).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from crs_desktop.domain.validation import shorten
from crs_desktop.interop.chart_csv import ChartFileError

# Deeper than any Bundle this app reads: a hostile file is refused, not recursed into.
MAX_DEPTH = 64
_ENTRY_OPENS = '"entry": ['
_FIRST_LINE_MAX = 1 << 20  # the Bundle's own line: its few fields


class _NotOurLayout(Exception):
    """The file is not laid out one entry a line: read it whole."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _loads(text: str) -> Any:
    # Decimals as written ("38.0" stays "38.0"); NaN and Infinity are not JSON numbers.
    return json.loads(text, parse_float=Decimal, parse_constant=_no_constant)


def depth_ok(value: Any, depth: int = 0) -> bool:
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, dict):
        return all(depth_ok(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return all(depth_ok(v, depth + 1) for v in value)
    return True


class BundleFile:
    """A Bundle file: its own fields (`shell`) and its entries as (index, entry)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path
        self.name = os.fspath(path)
        self._doc: dict[str, Any] | None = None
        shell = self._streamed_shell()
        if shell is None:
            self._doc = self._load_all()
            shell = {k: v for k, v in self._doc.items() if k != "entry"}
        if shell.get("resourceType") != "Bundle":
            raise ChartFileError(self.name, ["not a FHIR Bundle (resourceType must be Bundle)"])
        self.shell = shell

    def _refused(self, problem: str) -> ChartFileError:
        return ChartFileError(self.name, [problem])

    def _streamed_shell(self) -> dict[str, Any] | None:
        try:
            with open(self.path, encoding="utf-8-sig") as handle:
                first = handle.readline(_FIRST_LINE_MAX).rstrip()
        except OSError as exc:
            raise self._refused(f"cannot read the file: {exc.strerror}") from None
        except UnicodeDecodeError:
            return None  # read whole, and refused there
        if not first.endswith(_ENTRY_OPENS):
            return None
        try:
            shell = _loads(first + "]}")
        except (ValueError, RecursionError):
            return None
        if not isinstance(shell, dict) or shell.get("entry") != []:
            return None
        del shell["entry"]
        return shell

    def _load_all(self) -> dict[str, Any]:
        try:
            with open(self.path, encoding="utf-8-sig") as handle:
                doc = json.load(handle, parse_float=Decimal, parse_constant=_no_constant)
        except OSError as exc:
            raise self._refused(f"cannot read the file: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise self._refused("not UTF-8 text; a FHIR JSON file is UTF-8") from None
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            raise self._refused(f"not JSON ({where}): {exc.msg}") from None
        except (ValueError, RecursionError) as exc:  # NaN, Infinity; nesting too deep
            raise self._refused(f"not JSON: {shorten(str(exc))}") from None
        if not isinstance(doc, dict) or doc.get("resourceType") != "Bundle":
            raise self._refused("not a FHIR Bundle (resourceType must be Bundle)")
        if not depth_ok(doc):
            raise self._refused(f"nested deeper than {MAX_DEPTH} levels; not a Bundle")
        return doc

    def entries(self) -> Iterator[tuple[int, Any]]:
        """Each entry with its index in Bundle.entry, in order."""
        done = 0
        if self._doc is None:
            try:
                for index, entry in self._lines():
                    yield index, entry
                    done = index + 1
                return
            except _NotOurLayout:
                self._doc = self._load_all()
        entries = self._doc.get("entry", [])
        if not isinstance(entries, list):
            raise self._refused("Bundle.entry: must be a list of entries")
        for index in range(done, len(entries)):
            yield index, entries[index]

    def _lines(self) -> Iterator[tuple[int, Any]]:
        index, comma, ended = 0, False, False
        try:
            with open(self.path, encoding="utf-8-sig") as handle:
                handle.readline(_FIRST_LINE_MAX)  # the shell, read already
                for raw in handle:
                    text = raw.strip()
                    if not text:
                        continue
                    if ended:
                        raise _NotOurLayout
                    if text == "]}":  # the end; no comma after the last entry
                        if index and comma:
                            raise _NotOurLayout
                        ended = True
                        continue
                    if index and not comma:
                        raise _NotOurLayout
                    comma = text.endswith(",")
                    try:
                        entry = _loads(text[:-1] if comma else text)
                    except (ValueError, RecursionError):
                        raise _NotOurLayout from None
                    if not depth_ok(entry):
                        raise self._refused(f"nested deeper than {MAX_DEPTH} levels; not a Bundle")
                    yield index, entry
                    index += 1
        except UnicodeDecodeError:
            raise _NotOurLayout from None
        if not ended:
            raise _NotOurLayout
