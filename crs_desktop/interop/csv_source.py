"""Where a chart file's text comes from: a file read a block at a time, never held whole.

A 30-day monitor file is ~260,000 lines; holding it (bytes, text and a row object per
line) was 160 MiB for one import. Reading it as a stream keeps memory to a block.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

_BLOCK = 1 << 20
# Undecodable bytes are kept as lone surrogates (errors="surrogateescape"), so the
# lines holding them can be named.
UNDECODED = re.compile("[\udc80-\udcff]")
# A weight-based rate (µg/kg/min) needs the weights of the whole file first; such
# units are the only ones holding "/kg" (chart_csv reads them by the same test).
PER_KG = "/kg"


@dataclass(frozen=True, slots=True)
class Source:
    """A chart file to read: its name, whether it holds bytes that are not UTF-8, whether
    it mentions a per-kg unit, and how to open its text (again, for a second pass)."""

    name: str
    undecoded: bool
    per_kg: bool
    path: Path | None = None
    text: str | None = None  # a stream given to us, read whole (small: tests, stdin)

    def open(self) -> IO[str]:
        if self.path is None:
            return io.StringIO(self.text or "", newline="")
        errors = "surrogateescape" if self.undecoded else "strict"
        return self.path.open(encoding="utf-8-sig", errors=errors, newline="")


def scan(source: str | os.PathLike[str] | IO[str]) -> Source:
    """One quick pass over the bytes (no CSV parsing): is it UTF-8, and does it need
    weights. OSError is left to the caller."""
    if not isinstance(source, (str, os.PathLike)):
        text = source.read()
        return Source(getattr(source, "name", "chart"), False, PER_KG in text, text=text)
    path = Path(source)
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    undecoded = per_kg = False
    tail = b""
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            if not per_kg:  # the tail of the block before: a "/kg" split between two
                per_kg = PER_KG.encode() in tail + block
                tail = block[-(len(PER_KG) - 1) :]
            if not undecoded:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    undecoded = True
            if undecoded and per_kg:
                break
        if not undecoded:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                undecoded = True
    return Source(str(path), undecoded, per_kg, path=path)


@contextmanager
def fields_of_any_size() -> Iterator[None]:
    """Let the csv module read a field of any length, so an overlong note is refused
    naming its line (the module's own limit stops the whole read, line unknown)."""
    before = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)  # a C long everywhere (sys.maxsize is not, on Windows)
    try:
        yield
    finally:
        csv.field_size_limit(before)
