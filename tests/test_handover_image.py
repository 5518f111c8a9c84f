"""The handover page as an image, compared with a stored reference (as pyqtgraph's own tests
do): nothing on the page moves, grows or is cut without a test noticing.

The demo handover is drawn at a fixed clock and time zone into a PDF (the real output),
rasterised by pdftoppm at 72 dpi in grayscale (one pixel a point) and compared with
tests/images/handover-demo-page1.png. A pixel counts as different only when no pixel
within one pixel of it in the other image is close in gray: a rasteriser's antialiasing
or a half-pixel nudge passes, a section moved by a few pixels does not.

To make the reference again after a change to the page that is meant:

    CRS_DESKTOP_NEW_REFERENCE=1 python -m pytest tests/test_handover_image.py

then look at the new PNG before committing it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from crs_desktop.app.demo_course import DEMO_MRN
from crs_desktop.report.handover_data import build_handover
from crs_desktop.store import ChartStore, Entry

REFERENCE = Path(__file__).parent / "images" / "handover-demo-page1.png"
ZONE = "Europe/Berlin"  # any fixed zone: the demo's clock times are in it
DPI = 72  # one pixel a point: small enough to store, fine enough to see a line move
GRAY_TOLERANCE = 48  # of 255: antialiasing differences between rasterisers stay under it
PIXELS_ALLOWED = 40  # differing pixels a page may have (of about 500,000)
HOUR = 3600.0

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils")


@pytest.fixture(autouse=True)
def _qt(qapp):
    """The page is drawn with Qt: in this process that is pytest-qt's application."""
    return qapp


@pytest.fixture
def handover_data(tmp_path, monkeypatch, chart_demo):
    """The demo at 62 h (CRS grade 2) in a fixed zone, with a nurse's checklist marks, an
    alert acknowledged, a correction and a note: every section of the page has something."""
    from PySide6.QtGui import QFontDatabase

    if "DejaVu Sans" not in QFontDatabase.families():
        pytest.skip("the reference is drawn in DejaVu Sans (Debian fonts-dejavu-core)")
    monkeypatch.setenv("TZ", ZONE)
    time.tzset()  # conftest.py re-applies the run's own zone afterwards
    db = tmp_path / "chart.sqlite3"
    chart_demo(db, 62)
    with ChartStore(db) as store:
        patient = store.patient(DEMO_MRN)
    end = patient.infusion_time + 62 * HOUR + 600
    with ChartStore(db, clock=lambda: end - 900) as store:
        for key, status, hours, detail in (
            ("crs_cultures", "done", 1.8, {"title": "Blood and urine cultures (febrile)"}),
            ("crs_fluids", "done", 1.0, {"title": "IV fluid bolus for hypotension"}),
            (
                "crs_telemetry",
                "not_done",
                1.5,
                {"title": "Continuous cardiac telemetry", "reason": "no monitor free"},
            ),
        ):
            store.record_event(
                patient.id,
                "checklist",
                actor="RN Night",
                key=key,
                status=status,
                at=end - hours * HOUR,
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
            detail={"text": "Febrile overnight; bolus at 02:00 worked."},
        )
        row = store.rows(patient.id, items=["systolic_bp"], since=end - 8 * HOUR)[0]
        store.mark_entered_in_error(
            row.id,
            reason="wrong patient's line",
            actor="RN Night",
            replacement=Entry("systolic_bp", "97"),
        )
        return build_handover(
            store,
            patient.id,
            end - 12 * HOUR,
            end,
            printed_by="RN Day",
            now=end,
            outstanding=["Repeat CRP and ferritin", "Dexamethasone 10 mg if no better"],
            observations_due=["Vital signs 09:00", "ICE 10:00"],
            local_tz=ZoneInfo(ZONE),
        )


def page_image(data, folder: Path) -> np.ndarray:
    """Page 1 of the handover PDF as 8-bit gray, DPI pixels per inch."""
    from crs_desktop.report.render import write_handover_pdf

    pdf = folder / "handover.pdf"
    write_handover_pdf(data, pdf)
    out = folder / "page"
    subprocess.run(
        ["pdftoppm", "-gray", "-r", str(DPI), "-f", "1", "-l", "1", "-singlefile", pdf, out],
        check=True,
    )
    return read_pgm(out.with_suffix(".pgm"))


def read_pgm(path: Path) -> np.ndarray:
    raw = path.read_bytes()
    fields = raw.split(maxsplit=4)  # P5, width, height, maxval, pixels
    assert fields[0] == b"P5" and fields[3] == b"255", path
    width, height = int(fields[1]), int(fields[2])
    return np.frombuffer(fields[4][: width * height], np.uint8).reshape(height, width)


def save_png(image: np.ndarray, path: Path) -> None:
    from PySide6.QtGui import QImage

    height, width = image.shape
    data = np.ascontiguousarray(image)
    qimage = QImage(data.data, width, height, width, QImage.Format.Format_Grayscale8)
    path.parent.mkdir(parents=True, exist_ok=True)
    assert qimage.save(str(path), "PNG", 0), path  # 0: most compressed (PNG is lossless)


def load_png(path: Path) -> np.ndarray:
    from PySide6.QtGui import QImage

    qimage = QImage(str(path)).convertToFormat(QImage.Format.Format_Grayscale8)
    width, height, stride = qimage.width(), qimage.height(), qimage.bytesPerLine()
    rows = np.frombuffer(qimage.constBits(), np.uint8).reshape(height, stride)
    return rows[:, :width].copy()


def _envelope(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The darkest and lightest gray within one pixel of each pixel."""
    padded = np.pad(image, 1, mode="edge").astype(np.int16)
    h, w = image.shape
    around = [padded[dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)]
    return np.min(around, axis=0), np.max(around, axis=0)


def differing(image: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Where the two differ by more than the tolerance, both ways, allowing a one-pixel
    nudge (a mask of the page)."""
    assert image.shape == reference.shape, f"page size {image.shape} != {reference.shape}"
    a, b = image.astype(np.int16), reference.astype(np.int16)
    found = np.zeros(image.shape, bool)
    for one, other in ((a, b), (b, a)):
        low, high = _envelope(other)
        found |= (one < low - GRAY_TOLERANCE) | (one > high + GRAY_TOLERANCE)
    return found


def assert_matches_reference(image: np.ndarray, folder: Path) -> None:
    if os.environ.get("CRS_DESKTOP_NEW_REFERENCE"):
        save_png(image, REFERENCE)
        pytest.skip(f"reference written: {REFERENCE}")
    reference = load_png(REFERENCE)
    found = differing(image, reference)
    if found.sum() > PIXELS_ALLOWED:
        save_png(image, folder / "rendered.png")
        save_png(
            np.where(found, 0, 255 - (255 - reference) // 4).astype(np.uint8), folder / "diff.png"
        )
        rows = np.nonzero(found.any(axis=1))[0]
        raise AssertionError(
            f"{int(found.sum())} pixels differ from {REFERENCE.name} (rows {rows[0]}-{rows[-1]}); "
            f"see {folder / 'rendered.png'} and {folder / 'diff.png'} (differences in black)"
        )


def test_the_demo_handover_page_looks_as_it_did(handover_data, tmp_path):
    assert_matches_reference(page_image(handover_data, tmp_path), tmp_path)


# -- the comparison sees a move --------------------------------------------------------------


# Rows of the reference holding one section, white rows above and below.
BACKGROUND_ROWS = (236, 292)  # the "B Background" heading and its three lines


def shift_band(image: np.ndarray, top: int, bottom: int, down: int, right: int) -> np.ndarray:
    """The image with the rows top..bottom drawn `down` and `right` pixels further on (what
    was under them shows white)."""
    moved = image.copy()
    moved[top:bottom] = 255
    h, w = image.shape
    band = image[top:bottom, : w - right]
    moved[top + down : min(bottom + down, h), right:] = band[: h - top - down]
    return moved


@pytest.mark.parametrize(("down", "right"), [(2, 0), (0, 2), (6, 0), (0, 6)])
def test_the_comparison_fails_when_a_band_of_the_page_moves_2_px_or_more(down, right):
    reference = load_png(REFERENCE)
    moved = shift_band(reference, *BACKGROUND_ROWS, down, right)
    assert differing(moved, reference).sum() > 10 * PIXELS_ALLOWED


def test_the_comparison_passes_a_one_pixel_nudge():
    """A rasteriser placing a glyph a pixel over (another poppler, another FreeType) is not
    a moved section."""
    reference = load_png(REFERENCE)
    for down, right in ((1, 0), (0, 1)):
        assert differing(shift_band(reference, *BACKGROUND_ROWS, down, right), reference).sum() == 0


def section_drawn_off(module, name: str, dx: float, dy: float):
    """The section `name` of `module` with each block it adds drawn dx, dy points off, the
    rest of the page where it was."""
    original = getattr(module, name)

    def shifted(page, data) -> None:
        first = len(page.blocks)
        original(page, data)
        for index in range(first, len(page.blocks)):
            block = page.blocks[index]
            page.blocks[index] = replace(
                block, draw=lambda c, x, y, draw=block.draw: draw(c, x + dx, y + dy)
            )

    return shifted


@pytest.mark.parametrize(("section", "dx", "dy"), [("_background", 0, 6), ("_situation", 6, 0)])
def test_a_section_drawn_6_px_off_fails_the_comparison(
    handover_data, tmp_path, monkeypatch, section, dx, dy
):
    """The real drawing with one section moved by 6 points (6 px at 72 dpi) and nothing else
    changed: the comparison must see it."""
    from crs_desktop.report import page_sections as sections

    monkeypatch.delenv("CRS_DESKTOP_NEW_REFERENCE", raising=False)
    monkeypatch.setattr(sections, section, section_drawn_off(sections, section, dx, dy))
    image = page_image(handover_data, tmp_path)
    found = differing(image, load_png(REFERENCE))
    assert found.sum() > 10 * PIXELS_ALLOWED
    with pytest.raises(AssertionError, match="pixels differ"):
        assert_matches_reference(image, tmp_path)
