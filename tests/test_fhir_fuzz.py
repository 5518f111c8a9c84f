"""Hostile Bundles through `crs-desktop fhir import` (issue 21, "Done when"): 600 made by
hypothesis from a real export, each changed where a sender's bug or an attacker would:
a field replaced by any JSON, a field dropped, an entry repeated, the bytes cut or
garbled. Never a traceback (the test runs with CRS_DESKTOP_DEBUG=1: a bug raises); a
refusal names the entry it is about; nothing is written unless the whole Bundle is good.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crs_desktop.cli import main
from crs_desktop.commands import fhir as fhir_command
from crs_desktop.commands import import_chart as import_command
from crs_desktop.store import ChartStore

NOW = 1_795_000_000.0

CHART = (
    "time,item,value,unit,note\r\n"
    "2026-11-15T07:00:00+01:00,weight,70,,\r\n"
    "2026-11-15T08:00:00+01:00,temperature,101.3,degF,\r\n"
    "2026-11-15T08:00:00+01:00,systolic_bp,88,,\r\n"
    "2026-11-15T08:00:00+01:00,diastolic_bp,50,,\r\n"
    "2026-11-15T08:00:00+01:00,spo2,93,,\r\n"
    "2026-11-15T08:00:00+01:00,o2_device,nasal_cannula,,\r\n"
    "2026-11-15T08:00:00+01:00,norepinephrine,0.1,ug/kg/min,\r\n"
    "2026-11-15T08:30:00+01:00,tocilizumab,560,,\r\n"
    "2026-11-15T09:00:00+01:00,ice_score,8,,\r\n"
    "2026-11-15T09:00:00+01:00,crp,180,,\r\n"
    "2026-11-15T09:00:00+01:00,car_t_infusion,=cmd(),,\r\n"
)
# Problems that concern the file, not one entry.
FILE_LEVEL = re.compile(
    r"^  (Bundle(\.entry)?: |not JSON|not UTF-8|not a FHIR Bundle|nested deeper)"
)
ENTRY = re.compile(r"^  Bundle\.entry\[(\d+)\]: ")

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["", "final", "Cel", "[degF]", "8310-5", "2026-11-15T08:00:00Z", "=1+1"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def fixed_clock(monkeypatch):
    monkeypatch.setattr(fhir_command, "clock", lambda: NOW)
    for module in (fhir_command, import_command):
        real_open = module.open_store

        def open_store(args, *more, _real=real_open, **kw):
            store = _real(args, *more, **kw)
            store.clock = lambda: NOW
            return store

        monkeypatch.setattr(module, "open_store", open_store)


def _paths(value, path=()):
    """Every place in a JSON value: (path, ...)."""
    yield path
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, (*path, index))


def _set(doc, path, new):
    for step in path[:-1]:
        doc = doc[step]
    doc[path[-1]] = new


def _drop(doc, path):
    for step in path[:-1]:
        doc = doc[step]
    del doc[path[-1]]


@st.composite
def hostile(draw, base: dict) -> tuple[bytes, int | None]:
    """(the file, the entry changed, if one was)."""
    doc = copy.deepcopy(base)
    places = [p for p in _paths(doc) if p]
    touched = None
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["replace", "replace", "drop", "repeat", "code"]))
        places = [p for p in _paths(doc) if p]
        path = draw(st.sampled_from(places))
        try:
            if how == "replace":
                _set(doc, path, draw(json_values))
            elif how == "drop":
                _drop(doc, path)
            elif how == "repeat" and isinstance(doc.get("entry"), list) and doc["entry"]:
                doc["entry"].append(copy.deepcopy(draw(st.sampled_from(doc["entry"]))))
            elif how == "code":
                _set(doc, path, draw(st.sampled_from(["99999-9", "urn:x", "mmHg", "degF", "done"])))
        except (KeyError, IndexError, TypeError):
            continue
        if len(path) >= 2 and path[0] == "entry" and isinstance(path[1], int):
            touched = path[1] if touched is None else -1  # -1: more than one
    ascii_only = draw(st.booleans())
    if draw(st.booleans()) and isinstance(doc, dict) and isinstance(doc.get("entry"), list):
        # As the app writes it, one entry a line: read as a stream.
        shell = {k: v for k, v in doc.items() if k != "entry"}
        lines = [json.dumps(e, ensure_ascii=ascii_only) for e in doc["entry"]]
        head = json.dumps(shell, ensure_ascii=ascii_only)[:-1]
        text = f'{head}{", " if shell else ""}"entry": [\n' + ",\n".join(lines) + "\n]}\n"
        data = text.encode()
    else:
        data = json.dumps(doc, ensure_ascii=ascii_only).encode()
    garble = draw(st.sampled_from(["none", "none", "none", "cut", "bytes", "bom"]))
    if garble == "cut":
        data = data[: draw(st.integers(0, max(0, len(data) - 1)))]
    elif garble == "bytes":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    elif garble == "bom":
        data = b"\xef\xbb\xbf" + data
    return data, (touched if garble == "none" else -1)


def test_hostile_bundles_are_refused_naming_the_entry_and_write_nothing(tmp_path, fixed_clock):
    chart = tmp_path / "chart.csv"
    chart.write_bytes(CHART.encode())
    source_db, base_db = tmp_path / "source.sqlite3", tmp_path / "base.sqlite3"
    assert run(["import", str(chart), "--patient", "FUZZ", "--db", str(source_db)])[0] == 0
    exported = tmp_path / "base.json"
    assert (
        run(["fhir", "export", "--patient", "FUZZ", "-o", str(exported), "--db", str(source_db)])[0]
        == 0
    )
    base = json.loads(exported.read_text(encoding="utf-8"))
    with ChartStore(base_db, clock=lambda: NOW) as store:
        store.create_patient("FUZZ", "Fuzz, Pat", actor="setup")
    seen = {"refused": 0, "imported": 0}

    @settings(
        max_examples=600,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(hostile(base))
    def check(case):
        data, touched = case
        bundle = tmp_path / "hostile.json"
        bundle.write_bytes(data)
        db = tmp_path / "work.sqlite3"
        shutil.copy(base_db, db)
        status, out, err = run(
            ["fhir", "import", str(bundle), "--patient", "FUZZ", "--db", str(db)]
        )
        assert "Traceback" not in err and "unexpected error" not in err
        with ChartStore(db) as store:
            written = len(store.rows(store.patient("FUZZ").id))
        if status == 0:
            seen["imported"] += 1
            assert written == int(re.search(r"imported (\d+) values", out).group(1))
            return
        assert status == 2 and written == 0, err
        seen["refused"] += 1
        lines = [
            ln for ln in err.splitlines()[1:] if ln.startswith("  ") and not ln.startswith("  …")
        ]
        if "refused, nothing was written" not in err:  # a store-level refusal (e.g. no values)
            assert "nothing was written" in err, err
            return
        named = set()
        for line in lines:
            found = ENTRY.match(line)
            assert found or FILE_LEVEL.match(line), line
            if found:
                named.add(int(found.group(1)))
        if touched is not None and touched >= 0 and named:
            assert touched in named or 0 in named, (touched, err)

    check()
    assert seen["refused"] >= 400 and seen["imported"] >= 1, seen
