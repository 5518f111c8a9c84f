"""The demo course charted into a store at fixed times: the demo patient with its last
values at a given moment, and the same course ending long before (a day-old chart)."""

from __future__ import annotations

from crs_desktop.app.demo_course import DEMO_PRODUCT, DEMO_SOURCE, DEMO_WEIGHT_KG, course
from crs_desktop.commands.demo import _by_hour, _chart_group, reset_demo_patient
from crs_desktop.store import ChartStore, Patient

HOUR = 3600.0
# 1 Dec 2026 07:00 UTC: a fixed "now" for the window (tests never read the wall clock).
NOW = 1_796_108_400.0


def chart_demo(store: ChartStore, last_at: float, until_hour: float = 62.0) -> Patient:
    """DEMO-001 charted up to `until_hour`, its last values at `last_at`."""
    infusion = last_at - until_hour * HOUR
    patient = reset_demo_patient(store, infusion)
    for hour, group in _by_hour(course()):
        if hour <= until_hour:
            _chart_group(store, patient, infusion + hour * HOUR, group)
    return patient


def chart_old(store: ChartStore, mrn: str, last_at: float, until_hour: float = 62.0) -> Patient:
    """The demo course to `until_hour` for another patient, its last values at `last_at`."""
    infusion = last_at - until_hour * HOUR
    patient = store.create_patient(
        mrn,
        "Old, Chart",
        actor="setup",
        source=DEMO_SOURCE,
        weight_kg=DEMO_WEIGHT_KG,
        car_t_product=DEMO_PRODUCT,
        infusion_time=infusion,
    )
    for hour, group in _by_hour(course()):
        if hour <= until_hour:
            _chart_group(store, patient, infusion + hour * HOUR, group)
    return patient
