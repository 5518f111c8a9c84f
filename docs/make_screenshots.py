"""Take the README's window screenshots: the demo patient, and a patient whose last values
are a day old, each at the two ward screen sizes (1366 x 768 and 1280 x 800); and the demo
patient a minute later at CRS grade 3 (checklist-grade3.png, 1366 x 768).

    python docs/make_screenshots.py [--out docs]

Deterministic: a fixed clock and time zone, a fresh chart file in a temporary folder, Qt
offscreen (no screen needed). The window is sized as a maximised window on that screen
(the screen less a title bar and a task bar).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["TZ"] = "Europe/Berlin"
time.tzset()
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=TZ).timestamp()
HOUR = 3600.0
NURSE = "RN Demo"
STALE_MRN = "DEMO-OLD"
# A maximised window on each screen: less a 30 px title bar and a 32 px task bar.
SCREENS = ((1366, 768), (1280, 800))
WINDOW_CHROME_PX = 62


class Clock:
    """The fixed clock, moved on a minute for the grade 3 screenshot."""

    now = NOW

    def __call__(self) -> float:
        return self.now


clock = Clock()


def build_store(path: Path):  # type: ignore[no-untyped-def]
    """The demo patient charted to 62 h (its last values now), and the same course charted
    to 62 h ending 30 h ago: a chart whose last values are more than a day old."""
    from crs_desktop.app.demo_course import DEMO_PRODUCT, DEMO_SOURCE, DEMO_WEIGHT_KG, course
    from crs_desktop.commands.demo import _by_hour, _chart_group, reset_demo_patient
    from crs_desktop.store import ChartStore

    store = ChartStore(path, clock=clock)
    groups = [(h, g) for h, g in _by_hour(course()) if h <= 62]
    demo = reset_demo_patient(store, NOW - 62 * HOUR)
    for hour, group in groups:
        _chart_group(store, demo, NOW - 62 * HOUR + hour * HOUR, group)
    infusion = NOW - 92 * HOUR
    stale = store.create_patient(
        STALE_MRN,
        "Old, Chart (not a real patient)",
        actor="setup",
        source=DEMO_SOURCE,
        birth_date="1959-09-03",
        weight_kg=DEMO_WEIGHT_KG,
        car_t_product=DEMO_PRODUCT,
        infusion_time=infusion,
        is_demo=True,
    )
    for hour, group in groups:
        _chart_group(store, stale, infusion + hour * HOUR, group)
    return store


def grade3(db_path_store, mrn: str) -> None:  # type: ignore[no-untyped-def]
    """Chart a non-rebreather mask from another connection (another workstation)."""
    from crs_desktop.store import ChartStore, Entry

    other = ChartStore(db_path_store.path, clock=clock)
    try:
        patient = other.patient(mrn)
        other.chart(
            patient.id,
            [Entry("o2_device", "non_rebreather"), Entry("spo2", "91")],
            observed_at=clock.now,
            actor="RN Other",
        )
    finally:
        other.close()


def grab(window, path: Path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    for _ in range(5):  # layouts settle, the plots' history joins, everything paints
        QApplication.processEvents()
    window.grab().save(str(path))
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent), metavar="DIR")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from crs_desktop.app.demo_course import DEMO_MRN
    from crs_desktop.ui.app import dispose, make_app
    from crs_desktop.ui.main_window import MainWindow

    app = make_app()
    with tempfile.TemporaryDirectory() as folder:
        store = build_store(Path(folder) / "chart.sqlite3")
        try:
            for mrn, name in ((DEMO_MRN, "demo"), (STALE_MRN, "day-old")):
                for width, height in SCREENS:
                    window = MainWindow(store, NURSE, clock=clock)
                    window.open_patient_by_mrn(mrn)
                    window.resize(width, height - WINDOW_CHROME_PX)
                    window.show()
                    grab(window, out / f"window-{name}-{width}x{height}.png")
                    dispose(window)
            # A minute later another workstation charts a non-rebreather mask: grade 3.
            window = MainWindow(store, NURSE, clock=clock)
            window.open_patient_by_mrn(DEMO_MRN)
            window.resize(SCREENS[0][0], SCREENS[0][1] - WINDOW_CHROME_PX)
            window.show()
            clock.now = NOW + 60
            grade3(store, DEMO_MRN)
            window.session.feed.poll()  # as its timer would, within a quarter second
            grab(window, out / "checklist-grade3.png")
            dispose(window)
        finally:
            store.close()
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
