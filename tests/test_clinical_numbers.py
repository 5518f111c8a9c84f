"""Every clinical number has one home in domain/ (issue 15 item 5): changing the fever line
there changes the grade, the window's plot line and the handover's plot line together;
the NEWS2 risk band and its single-parameter trigger are data, not words."""

from __future__ import annotations

from datetime import UTC

import pyqtgraph as pg
import pytest

from crs_desktop.domain import thresholds
from crs_desktop.domain.drug_doses import Dose, doses_so_far
from crs_desktop.domain.grading import Grader, GradingSettings
from crs_desktop.domain.grading.astct_icans import ICE_PARTS
from crs_desktop.domain.observation import Observation
from crs_desktop.domain.oxygen_course import DEVICE_SHORT
from crs_desktop.report.handover_data import build_handover
from crs_desktop.store import ChartStore, Entry

T0 = 1_795_132_800.0  # 2026-11-20T00:00:00Z
HOUR = 3600.0


@pytest.fixture
def febrile_chart(tmp_path):
    """One patient with 38.3 °C charted at 08:00: a fever at 38.0, none at a 38.5 line."""
    store = ChartStore(tmp_path / "chart.sqlite3", clock=lambda: T0 + 12 * HOUR)
    patient = store.create_patient("MRN-1", "Test, Pat", actor="RN Test", infusion_time=T0)
    store.chart(
        patient.id, [Entry("temperature", "38.3", "Cel")], observed_at=T0 + 8 * HOUR, actor="RN"
    )
    yield store, patient
    store.close()


def _crs_grade(store: ChartStore, patient_id: int) -> int | None:
    grader = Grader(GradingSettings(), local_tz=UTC)
    grader.add(store.observations(patient_id))
    latest = grader.latest()
    assert latest is not None
    return latest.systems["astct_crs"].grade


def _fever_lines(store, patient, qtbot):
    """The fever line on the window's temperature plot, its title, and the handover's."""
    from crs_desktop.ui.plot_stack import PlotStack

    plots = PlotStack(store, patient, clock=lambda: T0 + 12 * HOUR)
    qtbot.addWidget(plots)
    temperature = plots.plots["temperature"]
    window = [
        i.value() for i in temperature.items if isinstance(i, pg.InfiniteLine) and i.angle == 0
    ]
    title = temperature.titleLabel.text
    end = T0 + 12 * HOUR
    data = build_handover(
        store, patient.id, end - 12 * HOUR, end, printed_by="RN", now=end, local_tz=UTC
    )
    (handover,) = next(p for p in data.shift_plots if p.key == "temperature").thresholds
    crs = next(g for g in data.grades if g.system == "astct_crs")
    return window, title, handover, crs.grade


def test_the_fever_line_is_one_number_in_domain(febrile_chart, qtbot, monkeypatch):
    store, patient = febrile_chart
    window, title, handover, handover_grade = _fever_lines(store, patient, qtbot)
    assert window == [38.0] and "fever ≥ 38.0 °C" in title
    assert handover == (38.0, "fever ≥ 38.0 °C")
    assert _crs_grade(store, patient.id) == 1 and handover_grade == 1  # 38.3 °C is a fever

    # A test stands in for a change of REFERENCE.md: the line moves to 38.5 °C in domain/.
    monkeypatch.setattr(thresholds, "FEVER_C", 38.5)
    window, title, handover, handover_grade = _fever_lines(store, patient, qtbot)
    assert window == [38.5] and "fever ≥ 38.5 °C" in title
    assert handover == (38.5, "fever ≥ 38.5 °C")
    assert _crs_grade(store, patient.id) == 0 and handover_grade == 0  # 38.3 °C no longer is


def test_the_entry_form_reads_the_ice_maxima_of_domain(monkeypatch):
    from crs_desktop.ui import entry_form

    assert dict(entry_form.ICE_PARTS) == ICE_PARTS  # one home: REFERENCE.md §4.1
    assert sum(ICE_PARTS.values()) == 10


def test_plots_and_handover_share_one_set_of_device_words():
    from crs_desktop.report import handover_data
    from crs_desktop.ui import plot_stack

    assert not hasattr(plot_stack, "DEVICE_SHORT") and not hasattr(handover_data, "DEVICE_SHORT")
    assert DEVICE_SHORT["non_rebreather"] == "NRB mask"
    assert not hasattr(plot_stack, "FEVER_C") and not hasattr(handover_data, "FEVER_C")


def test_tocilizumab_counts_in_the_24_h_before_now_and_in_total():
    doses = [Dose(T0, 500.0), Dose(T0 + 10 * HOUR, 600.0), Dose(T0 + 40 * HOUR, 700.0)]
    given, recent = doses_so_far(doses, T0 + 33 * HOUR)  # 23 h after the second dose
    assert [d.mg for d in given] == [500.0, 600.0] and [d.mg for d in recent] == [600.0]
    given, recent = doses_so_far(doses, T0 + 34 * HOUR)  # exactly 24 h after it: not within
    assert [d.mg for d in given] == [500.0, 600.0] and recent == []
    given, recent = doses_so_far(doses, T0 + 24 * HOUR)  # exactly 24 h after the first
    assert [d.mg for d in recent] == [600.0]  # less than 24 h ago counts; 24 h does not


# -- NEWS2: the band and the single-parameter trigger as data (REFERENCE.md §7.2) --------


def _news2(rows) -> object:
    obs = [
        Observation(
            T0 + HOUR,
            item,
            value if isinstance(value, float) else None,
            value if isinstance(value, str) else None,
            id=n,
        )
        for n, (item, value) in enumerate(rows, 1)
    ]
    grader = Grader(GradingSettings(), local_tz=UTC)
    grader.add(obs)
    latest = grader.latest()
    assert latest is not None
    return latest.systems["news2"]


CALM = [
    ("resp_rate", 16.0),
    ("spo2", 97.0),
    ("o2_device", "room_air"),
    ("systolic_bp", 120.0),
    ("heart_rate", 80.0),
    ("temperature", 37.0),
    ("acvpu", "A"),
]


def test_single_parameter_scoring_3_is_data_on_the_grade():
    calm = _news2(CALM)
    assert calm.grade == 0 and calm.red_parameters == ()
    red = _news2([*CALM, ("resp_rate", 8.0)])  # <= 8 scores 3 (§7.1)
    assert red.grade == 3 and red.red_parameters == ("resp_rate",)
    assert thresholds.news2_band(red.grade, red.red_parameters) == "low_medium"
    two = _news2([*CALM, ("resp_rate", 9.0)])  # 9-11 scores 1: no single red
    assert two.red_parameters == () and thresholds.news2_band(two.grade, ()) == "low"


@pytest.mark.parametrize(
    ("score", "red", "band"),
    [
        (0, (), "low"),
        (4, (), "low"),
        (3, ("spo2",), "low_medium"),
        (4, ("consciousness",), "low_medium"),
        (5, (), "medium"),
        (5, ("spo2",), "medium"),
        (6, (), "medium"),
        (7, (), "high"),
        (20, ("spo2",), "high"),
        (None, (), None),
    ],
)
def test_news2_risk_bands_follow_reference_7_2(score, red, band):
    assert thresholds.news2_band(score, red) == band


@pytest.mark.parametrize(
    ("system", "grade", "serious"),
    [
        ("news2", 4, False),
        ("news2", 5, True),
        ("astct_crs", 1, False),
        ("astct_crs", 2, True),
        ("astct_icans", 2, True),
        ("astct_icans", None, False),
    ],
)
def test_the_handover_frames_grade_2_and_news2_5_heavier(system, grade, serious):
    assert thresholds.serious(system, grade) is serious
