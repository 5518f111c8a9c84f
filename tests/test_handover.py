"""The handover summary: gathered from the store, drawn as a PDF, and the `handover` command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from crs_desktop.app.demo_course import DEMO_MRN, DEMO_NAME
from crs_desktop.app.shifts import current_shift, parse_shift_starts, previous_shift
from crs_desktop.cli import main
from crs_desktop.domain.grading import Grader
from crs_desktop.report.gather_grades import news2_band
from crs_desktop.report.handover_data import build_handover
from crs_desktop.store import ChartStore, Entry

ROOT = Path(__file__).resolve().parent.parent
HOUR = 3600.0


@pytest.fixture(autouse=True)
def _qt(qapp):
    """The command draws with Qt: in this process that is pytest-qt's application."""
    return qapp


@pytest.fixture
def demo(tmp_path, chart_demo):
    """A store with the demo patient charted to 62 h after the infusion (CRS grade 2), its
    last value at the fixed DEMO_NOW (conftest.py), so "Day +3" holds at any time of day."""
    db = tmp_path / "chart.sqlite3"
    chart_demo(db, 62)
    with ChartStore(db) as store:
        patient = store.patient(DEMO_MRN)
    return db, patient


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


def pages_text(path: Path) -> list[str]:
    """Each page's text, whitespace collapsed (the extractor separates words with tabs)."""
    return [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(path).pages]


def handover(db: Path, out: Path, start: float, end: float, *extra: str) -> int:
    return main(
        [
            "handover",
            "--db",
            str(db),
            "--patient",
            DEMO_MRN,
            "--from",
            iso(start),
            "--to",
            iso(end),
            "--nurse",
            "RN Day",
            "-o",
            str(out),
            *extra,
        ]
    )


def shift_end(patient) -> float:
    """Just after the demo's last value (62 h after the infusion)."""
    return patient.infusion_time + 62 * HOUR + 600


def add_typical_shift(db: Path, patient, end: float) -> None:
    """What a nurse adds over a shift: checklist marks, an alert acknowledged, a
    correction and a handover note."""
    # Keys of the shipped protocol (resources/protocols/default.toml) at CRS grade 2.
    marks = [
        ("crs_cultures", "done", 1.8, {"title": "Blood and urine cultures (febrile)"}),
        ("crs_chest_xray", "done", 1.6, {"title": "Chest X-ray (febrile)"}),
        ("crs_inform_doctor_g2", "done", 1.7, {"title": "Tell the doctor: CRS grade 2"}),
        ("crs_oxygen", "done", 1.7, {"title": "Oxygen as needed (chart the device and flow)"}),
        ("crs_fluids", "done", 1.0, {"title": "IV fluid bolus for hypotension, as prescribed"}),
        (
            "crs_telemetry",
            "not_done",
            1.5,
            {
                "title": "Continuous cardiac telemetry and pulse oximetry",
                "reason": "no monitor free on the ward",
            },
        ),
        (
            "crs_antibiotics_if_neutropenic",
            "not_applicable",
            1.2,
            {"title": "Neutropenic? Ask the doctor about antibiotics", "reason": "ANC 1.1"},
        ),
    ]
    with ChartStore(db, clock=lambda: end - 900) as store:
        for key, status, hours_before, detail in marks:
            store.record_event(
                patient.id,
                "checklist",
                actor="RN Night",
                key=key,
                status=status,
                at=end - hours_before * HOUR,
                detail=detail,
            )
        store.record_event(
            patient.id,
            "alert_ack",
            actor="RN Night",
            key="astct_crs",
            status="acknowledged",
            at=end - 6 * HOUR,
            detail={"text": "CRS grade 2 acknowledged (was 1)"},
        )
        store.record_event(
            patient.id,
            "handover_note",
            actor="RN Night",
            at=end - 1200,
            detail={
                "text": "Febrile overnight; bolus at 02:00 worked.\n"
                "Repeat tocilizumab not before 8 h if no better."
            },
        )
        row = store.rows(patient.id, items=["systolic_bp"], since=end - 8 * HOUR)[0]
        store.mark_entered_in_error(
            row.id,
            reason="typed into the wrong patient's line",
            actor="RN Night",
            replacement=Entry("systolic_bp", "97"),
        )


# -- the PDF --------------------------------------------------------------------------------


def test_demo_shift_has_grades_reasons_drugs_and_footer_on_one_page(demo, tmp_path):
    db, patient = demo
    out = tmp_path / "handover.pdf"
    end = shift_end(patient)
    assert handover(db, out, end - 12 * HOUR, end) == 0
    (text,) = pages_text(out)  # one page
    assert "Grade 2" in text and "CRS (ASTCT 2019)" in text and "ICANS (ASTCT 2019)" in text
    assert "Highest this shift: 2" in text and "Highest since infusion: 2" in text
    # The grader's own words for why
    assert "CRS grade 2 because: fever: temperature 38.7 °C" in text
    assert "nasal cannula at 2 L/min (low flow" in text
    assert "Score 9" in text and "high risk" in text  # NEWS2 with its band (REFERENCE §7.2)
    # Drugs given this shift, and tocilizumab in the last 24 h and in total
    assert re.search(
        # A shift that crosses midnight names the day of a dose before it (e.g. "24 Nov 23:46").
        r"Tocilizumab: 576 mg at (\d{1,2} [A-Z][a-z]{2} )?\d\d:\d\d this shift; "
        r"last 24 h 1 dose \(576 mg\); "
        r"in total 1 dose \(576 mg\)",
        text,
    )
    assert "fluid bolus 500 mL at" in text
    assert "Vasopressors running now: none" in text
    # Header and footer
    assert "Day +3" in text and "axicabtagene ciloleucel" in text
    assert "Printed by RN Day at" in text
    assert "Page 1 of 1" in text and DEMO_NAME in text and f"MRN {DEMO_MRN}" in text
    # Latest values with their time
    assert "CRP 48 mg/L" in text and "Ferritin 1150 ng/mL" in text


def test_text_is_large_enough_to_read(demo, tmp_path):
    """Sizes are in points from the page layout (DESIGN.md pitfall: device pixels give tiny
    text): the grade 16 pt or more, running text at least 8 pt (axis ticks included)."""
    db, patient = demo
    out = tmp_path / "handover.pdf"
    end = shift_end(patient)
    assert handover(db, out, end - 12 * HOUR, end) == 0
    sizes: dict[str, float] = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            sizes[" ".join(text.split())] = size * tm[0] * cm[0]

    page = PdfReader(out).pages[0]
    page.extract_text(visitor_text=visit)
    assert page.mediabox.width == pytest.approx(595, abs=1)  # A4
    assert sizes["Grade 2"] >= 16
    assert sizes["Page 1 of 1"] >= 9
    assert min(sizes.values()) >= 7.9  # 8 pt, to the whole device pixel at 300 dpi


def test_a_typical_shift_fits_one_a4_page_with_checklist_alerts_corrections_and_note(
    demo, tmp_path
):
    db, patient = demo
    end = shift_end(patient)
    add_typical_shift(db, patient, end)
    out = tmp_path / "handover.pdf"
    assert handover(db, out, end - 12 * HOUR, end) == 0
    (text,) = pages_text(out)
    assert "NOT DONE (1): Continuous cardiac telemetry" in text
    assert "RN Night): no monitor free on the ward" in text
    assert "NOT APPLICABLE (1): Neutropenic? Ask the doctor about antibiotics" in text
    assert "DONE (5): Blood and urine cultures (febrile) (" in text
    # What the protocol still asks at grade 2 and NEWS2 9: tocilizumab was charted, so it and
    # its pre-check are answered (REFERENCE.md §1.3a item 9).
    assert re.search(r"OUTSTANDING \(3\): CRS labs .*; Dexamethasone .*; NEWS2 7 or more", text)
    assert "Tocilizumab 8 mg/kg" not in text.split("OUTSTANDING")[1]
    assert "Before tocilizumab" not in text.split("OUTSTANDING")[1]
    assert "CRS grade 2 acknowledged (was 1)" in text
    assert "Correction" in text and "systolic BP" in text
    assert "typed into the wrong patient's line" in text and "replaced by 97 mmHg" in text
    assert "Handover note (RN Night," in text and "bolus at 02:00 worked." in text
    # The command line works out the timers as the window does.
    # NEWS2 9 (REFERENCE.md §7.2): continuous monitoring, sets still charted hourly.
    assert re.search(
        r"Observations due: Vital signs: continuous monitoring \(NEWS2 ≥ 7\); "
        r"next set due \d\d:\d\d \(every 1 h: CRS grade ≥ 2\)",
        text,
    )
    assert "Page 1 of 1" in text


def test_letter_paper(demo, tmp_path):
    db, patient = demo
    out = tmp_path / "handover.pdf"
    end = shift_end(patient)
    assert handover(db, out, end - 12 * HOUR, end, "--paper", "letter") == 0
    reader = PdfReader(out)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_a_long_period_flows_onto_more_pages_without_cutting_a_row(demo, tmp_path):
    db, patient = demo
    end = shift_end(patient)
    start = patient.infusion_time - 6 * HOUR
    titles = [f"Check line {n} site and dressing" for n in range(70)]
    with ChartStore(db) as store:
        for n, title in enumerate(titles):
            store.record_event(
                patient.id,
                "checklist",
                actor="RN Night",
                key=f"line_{n}",
                status="not_done" if n % 3 else "done",
                at=start + (n + 1) * 0.8 * HOUR,
                detail={"title": title, "reason": f"patient asleep, try at {n}:30"},
            )
    out = tmp_path / "handover.pdf"
    assert handover(db, out, start, end) == 0
    texts = pages_text(out)
    assert len(texts) > 1
    for number, text in enumerate(texts, 1):
        assert f"Page {number} of {len(texts)}" in text
        assert DEMO_NAME in text and f"MRN {DEMO_MRN}" in text
    everything = " ".join(texts)
    for n, title in enumerate(titles):
        # Each row is whole on one page: its title and reason on the same page, once.
        holding = [t for t in texts if title in t]
        assert len(holding) == 1, title
        if n % 3:
            assert f"patient asleep, try at {n}:30" in holding[0]
    # Drugs of the whole period: premedication (before the infusion) and the fever's
    assert everything.count("paracetamol 650 mg") == 1
    assert "paracetamol 1000 mg" in everything


def test_an_empty_shift_is_one_clear_page(demo, tmp_path):
    db, patient = demo
    out = tmp_path / "handover.pdf"
    start = patient.infusion_time - 10 * 24 * HOUR  # days before anything was charted
    assert handover(db, out, start, start + 12 * HOUR) == 0
    (text,) = pages_text(out)
    assert "Nothing was charted for this patient from" in text
    assert "Not graded" in text
    assert "No drugs" not in text and "none this shift" in text
    assert "Page 1 of 1" in text


def test_a_shift_after_the_last_value_says_nothing_was_charted_and_keeps_the_last_grades(
    demo, tmp_path
):
    db, patient = demo
    out = tmp_path / "handover.pdf"
    start = shift_end(patient) + HOUR
    assert handover(db, out, start, start + 12 * HOUR) == 0
    (text,) = pages_text(out)
    assert "Nothing was charted for this patient from" in text
    assert "grades at" in text and "(last charted)" in text and "Grade 2" in text


def test_print_and_pdf_are_the_same_drawing(demo, tmp_path):
    """One render function: onto a QPrinter (print and print preview) as onto a QPdfWriter."""
    from PySide6.QtCore import QMarginsF
    from PySide6.QtGui import QPageLayout, QPageSize
    from PySide6.QtPrintSupport import QPrinter

    from crs_desktop.report.render import render_handover, write_handover_pdf

    db, patient = demo
    end = shift_end(patient)
    with ChartStore(db) as store:
        data = build_handover(
            store,
            patient.id,
            end - 12 * HOUR,
            end,
            printed_by="RN Day",
            now=end,
            outstanding=["Repeat CRP"],
            observations_due=["ICE 09:00"],
        )
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setPageMargins(QMarginsF(8, 8, 8, 8), QPageLayout.Unit.Millimeter)
    assert render_handover(data, printer) == 1
    assert write_handover_pdf(data, tmp_path / "written.pdf") == 1
    printed, written = pages_text(tmp_path / "printed.pdf"), pages_text(tmp_path / "written.pdf")
    assert printed == written
    assert "OUTSTANDING (1): Repeat CRP" in written[0] and "ICE 09:00" in written[0]


# -- mistakes: one line, exit 2, nothing written --------------------------------------------


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"--patient": "NO-SUCH"}, "'NO-SUCH'"),
        ({"--from": "yesterday morning"}, "'yesterday morning'"),
        ({"--to": "2026-02-30T07:00"}, "'2026-02-30T07:00'"),
        ({"--from": "2026-11-20T19:00", "--to": "2026-11-20T07:00"}, "'2026-11-20T19:00'"),
        ({"-o": "{tmp}/no-such-folder/handover.pdf"}, "no-such-folder"),
        ({"-o": "{tmp}"}, "is a folder"),
        ({"--to": None}, "--from"),
        ({"--shift-starts": "7am"}, "'7am'"),
    ],
)
def test_mistakes_exit_2_with_one_line_naming_the_value(demo, tmp_path, capsys, change, named):
    db, _patient = demo
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    options = {
        "--patient": DEMO_MRN,
        "--from": "2026-11-20T07:00",
        "--to": "2026-11-20T19:00",
        "-o": str(out_dir / "handover.pdf"),
    }
    options.update({k: (v.format(tmp=out_dir) if v else v) for k, v in change.items()})
    argv = ["handover", "--db", str(db)]
    for key, value in options.items():
        if value is not None:
            argv += [key, value]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and named in err, err
    assert list(out_dir.iterdir()) == []  # no PDF, no half-written temporary file


def test_the_command_runs_offscreen_as_its_own_process_for_the_current_shift(demo, tmp_path):
    db, _patient = demo
    out = tmp_path / "handover.pdf"
    shift_before = current_shift(time.time())
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "crs_desktop",
            "handover",
            "--db",
            str(db),
            "--patient",
            DEMO_MRN,
            "-o",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **same_zone_and_clock()},  # no display
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no Qt warnings either
    # The command's own "now": the shift under way when it ran (one of these two, should a
    # shift change fall while it runs).
    shifts = {shift_before, current_shift(time.time())}
    (text,) = pages_text(out)
    assert any(period_line(start, end) in text for start, end in shifts), text


def same_zone_and_clock() -> dict[str, str]:
    """The variables that make a child process keep this one's time zone (TZ) and, when the
    suite runs under faketime (libfaketime), its clock."""
    keep = ("TZ", "LD_PRELOAD", "FAKETIME", "FAKETIME_SHARED", "FAKETIME_NO_CACHE")
    return {name: os.environ[name] for name in keep if name in os.environ}


def period_line(start: float, end: float) -> str:
    a, b = datetime.fromtimestamp(start), datetime.fromtimestamp(end)
    second = f"{b:%H:%M}" if a.date() == b.date() else f"{b:%a %d %b %H:%M}"  # a night shift
    hours = round((end - start) / HOUR, 1)
    return f"Period: {a:%a %d %b %Y %H:%M} – {second} ({hours:g} h)"


# -- the data, without Qt -------------------------------------------------------------------


def test_maxima_this_shift_and_since_infusion(demo):
    db, patient = demo
    with ChartStore(db) as store:
        # Day +2 evening: CRS 2 at its worst; a later shift would not see it as "this shift".
        late = build_handover(
            store,
            patient.id,
            patient.infusion_time + 58 * HOUR,
            shift_end(patient),
            printed_by="x",
            now=shift_end(patient),
        )
        early = build_handover(
            store,
            patient.id,
            patient.infusion_time + 20 * HOUR,
            patient.infusion_time + 32 * HOUR,
            printed_by="x",
            now=shift_end(patient),
        )
    crs = late.grade("astct_crs")
    assert (crs.grade, crs.max_shift, crs.max_overall) == (2, 2, 2)
    crs = early.grade("astct_crs")
    # As of the end of that earlier period: nothing yet, and the maximum "since infusion"
    # does not look past the period's end.
    assert (crs.grade, crs.max_shift, crs.max_overall) == (0, 0, 0)
    assert early.tocilizumab_total == (0, 0.0)


def test_the_grade_in_force_at_the_start_counts_for_this_shift(demo):
    db, patient = demo
    start = patient.infusion_time + 60.5 * HOUR  # grade 2 since 60.25 h; next chart at 61 h
    with ChartStore(db) as store:
        data = build_handover(
            store, patient.id, start, start + 0.25 * HOUR, printed_by="x", now=shift_end(patient)
        )
    assert data.grade("astct_crs").max_shift == 2
    assert data.charted_in_period == 0


def test_a_graders_timeline_from_the_window_gives_the_same_handover(demo):
    db, patient = demo
    end = shift_end(patient)
    with ChartStore(db) as store:
        grader = Grader()
        grader.add(store.observations(patient.id))
        given = build_handover(
            store, patient.id, end - 12 * HOUR, end, printed_by="x", now=end, grader=grader
        )
        own = build_handover(store, patient.id, end - 12 * HOUR, end, printed_by="x", now=end)
    assert given.grades == own.grades and given.latest == own.latest
    assert given.drugs == own.drugs


def test_oxygen_need_is_a_step_from_the_device_in_force_at_the_start(demo):
    db, patient = demo
    end = shift_end(patient)
    with ChartStore(db) as store:
        data = build_handover(store, patient.id, end - 12 * HOUR, end, printed_by="x", now=end)
    oxygen = next(p for p in data.shift_plots if p.key == "oxygen")
    (line,) = oxygen.lines
    assert line.step and list(line.v) == [0.0, 1.0, 1.0]  # room air, then low flow, to now
    assert [words for _t, _v, words in oxygen.notes] == ["room air", "NC 2 L/min"]
    assert line.t[0] == end - 12 * HOUR and line.t[-1] == end


def test_news2_bands_follow_reference_7_2():
    assert news2_band(0, ()) == "low risk"
    assert news2_band(3, ("spo2",)).startswith("low–medium risk")
    assert news2_band(5, ()) == "medium risk" and news2_band(6, ()) == "medium risk"
    assert news2_band(7, ()) == "high risk"
    assert news2_band(None, ()) == ""


def test_gathering_the_handover_does_not_load_qt():
    probe = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6"):
            raise ImportError("Qt is blocked")
sys.meta_path.insert(0, Block())
import crs_desktop.report.handover_data, crs_desktop.app.shifts
"""
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_report_does_not_import_the_window():
    for path in (ROOT / "crs_desktop" / "report").rglob("*.py"):
        assert "crs_desktop.ui" not in path.read_text(), path


# -- shifts ---------------------------------------------------------------------------------


def at(text: str, tz) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=tz).timestamp()


@pytest.mark.parametrize(
    ("now", "start", "end"),
    [
        ("2026-06-10T06:59", "2026-06-09T19:00", "2026-06-10T07:00"),
        ("2026-06-10T07:00", "2026-06-10T07:00", "2026-06-10T19:00"),
        ("2026-06-10T18:59", "2026-06-10T07:00", "2026-06-10T19:00"),
        ("2026-06-10T23:30", "2026-06-10T19:00", "2026-06-11T07:00"),
    ],
)
def test_current_shift(now, start, end):
    tz = ZoneInfo("Europe/London")
    assert current_shift(at(now, tz), tz=tz) == (at(start, tz), at(end, tz))


def test_night_shifts_across_daylight_saving_last_11_or_13_hours():
    tz = ZoneInfo("Europe/London")
    spring = current_shift(at("2026-03-29T03:30", tz), tz=tz)  # clocks go forward at 01:00
    autumn = current_shift(at("2026-10-25T03:30", tz), tz=tz)  # clocks go back at 02:00
    assert (spring[1] - spring[0]) / HOUR == 11
    assert (autumn[1] - autumn[0]) / HOUR == 13
    assert datetime.fromtimestamp(autumn[0], tz).hour == 19
    assert datetime.fromtimestamp(autumn[1], tz).hour == 7


def test_previous_shift_and_other_shift_times():
    tz = ZoneInfo("Europe/London")
    now = at("2026-06-10T10:00", tz)
    assert previous_shift(now, tz=tz) == (at("2026-06-09T19:00", tz), at("2026-06-10T07:00", tz))
    three = ("07:00", "15:00", "23:00")
    assert current_shift(now, three, tz) == (at("2026-06-10T07:00", tz), at("2026-06-10T15:00", tz))
    with pytest.raises(ValueError, match="'7am'"):
        parse_shift_starts(["7am"])


def test_a_night_shift_across_the_clocks_going_back_is_13_hours_in_local_time(tmp_path):
    """Times shown in local time across a daylight-saving change (DESIGN.md)."""
    from crs_desktop.report.render import write_handover_pdf

    tz = ZoneInfo("Europe/London")
    start, end = current_shift(at("2025-10-26T03:00", tz), tz=tz)  # clocks back at 02:00
    with ChartStore(tmp_path / "chart.sqlite3") as store:
        patient = store.create_patient("DST-1", "Night, Owl", actor="test", infusion_time=start)
        for hour in range(0, 13):
            store.chart(
                patient.id,
                [Entry("temperature", f"{37 + hour / 10:.1f}", "Cel"), Entry("spo2", "97")],
                observed_at=start + hour * HOUR + 600,
                actor="test",
            )
        data = build_handover(
            store, patient.id, start, end, printed_by="RN Owl", now=end, local_tz=tz
        )
    assert write_handover_pdf(data, tmp_path / "night.pdf") == 1
    (text,) = pages_text(tmp_path / "night.pdf")
    assert "Period: Sat 25 Oct 2025 19:00 – Sun 26 Oct 07:00 (13 h)" in text
    # The last value, charted at 06:10 GMT (12 hours after 19:10 BST), as the clock read.
    assert "06:10 Temperature 38.2 °C" in text


def test_latest_values_leave_out_the_flow_of_the_device_before(demo):
    """After nasal cannula 2 L/min, a non-rebreather charted alone: the latest values name
    the mask and no '2 L/min' (that flow was the cannula's, as grading and the plots read)."""
    db, patient = demo
    end = shift_end(patient)
    with ChartStore(db, clock=lambda: end) as store:
        store.chart(
            patient.id,
            [Entry("o2_device", "non_rebreather")],
            observed_at=end - 600,
            actor="RN Night",
        )
        data = build_handover(store, patient.id, end - 12 * HOUR, end, printed_by="x", now=end)
    labels = {v.label: v.value for v in data.latest}
    assert "non-rebreather" in labels["Oxygen device"], labels
    assert "Oxygen flow" not in labels, labels
