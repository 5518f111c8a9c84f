"""The window fits a ward screen: at 1366 x 768 and 1280 x 800 (maximised) no plot label
overlaps another or is cut, every y axis has at least three labelled ticks, no title is
cut, each grade shows what set it without scrolling, and the due strips draw every
character with the shipped font (no missing-glyph box)."""

from __future__ import annotations

import itertools

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFontMetricsF, QImage, QPainter, QRawFont
from PySide6.QtWidgets import QApplication, QScrollArea

from crs_desktop.store import ChartStore
from crs_desktop.ui.app import dispose
from crs_desktop.ui.main_window import MainWindow
from tests.support.demo_chart import HOUR, NOW, chart_demo, chart_old

NURSE = "RN Test"
OLD_MRN = "OLD-1"
CHROME_PX = 62  # a maximised window: the screen less a title bar and a task bar
SCREENS = [(1366, 768), (1280, 800)]


@pytest.fixture(scope="module")
def chart(tmp_path_factory):
    path = tmp_path_factory.mktemp("fit") / "chart.sqlite3"
    store = ChartStore(path, clock=lambda: NOW)
    chart_demo(store, NOW)
    chart_old(store, OLD_MRN, NOW - 30 * HOUR)
    store.close()
    return path


@pytest.fixture(params=[(s, m) for s in SCREENS for m in ("DEMO-001", OLD_MRN)], ids=str)
def window(request, qtbot, themed, chart):
    (width, height), mrn = request.param
    store = ChartStore(chart, clock=lambda: NOW)
    w = MainWindow(store, NURSE, clock=lambda: NOW)
    qtbot.addWidget(w)
    w.open_patient_by_mrn(mrn)
    w.resize(width, height - CHROME_PX)
    w.show()
    qtbot.waitExposed(w)
    QApplication.processEvents()
    w.grab()  # everything laid out and painted once
    yield w
    dispose(w)
    store.close()


def axis_texts(axis) -> list[tuple[QRectF, str]]:
    image = QImage(400, 400, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _axis, _ticks, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    # pyqtgraph's rect is 0.8 of the text's height: the glyphs take all of it.
    height = QFontMetricsF(axis.style["tickFont"]).height()
    return [
        (rect.adjusted(0, -(height - rect.height()) / 2, 0, (height - rect.height()) / 2), text)
        for rect, _flags, text in texts
    ]


def visible_plots(window):
    return {k: p for k, p in window.plots.plots.items() if p.isVisible()}


def test_every_y_axis_has_three_labels_and_none_overlaps(window):
    for key, plot in visible_plots(window).items():
        texts = axis_texts(plot.getAxis("left"))
        if key != "oxygen":  # the oxygen axis names its bands instead of numbers
            assert len(texts) >= 3, (key, [t for _r, t in texts])
        for (a, ta), (b, tb) in itertools.combinations(texts, 2):
            assert not a.intersects(b), (key, ta, tb)


def test_no_plot_label_overlaps_another_or_is_cut(window):
    for key, plot in visible_plots(window).items():
        box = plot.getViewBox().sceneBoundingRect()
        shown = [
            item
            for item in plot.getViewBox().allChildren()
            if isinstance(item, pg.TextItem) and item.isVisible() and item.toPlainText().strip()
        ]
        rects = [(item.sceneBoundingRect(), item.toPlainText()) for item in shown]
        for rect, words in rects:
            assert box.contains(rect), (key, words, rect, box)
        for (a, wa), (b, wb) in itertools.combinations(rects, 2):
            assert not a.intersects(b), (key, wa, wb)
        note = getattr(window.plots, "notes", {}).get(key)
        if note is not None and note.isVisible():  # "no values in the last 24 h — …", whole
            assert box.contains(note.sceneBoundingRect()), (key, note.text())
        title = plot.titleLabel
        assert title.item.boundingRect().width() <= title.boundingRect().width() + 1, key


def test_each_grade_shows_what_set_it_without_scrolling(window):
    scroll = window.grading.findChild(QScrollArea)
    viewport = scroll.viewport()
    assert scroll.verticalScrollBar().value() == 0
    for system in ("astct_crs", "astct_icans", "news2"):
        card = window.grading.cards[system]
        reasons = card.reasons
        first_line = QFontMetricsF(reasons.font()).lineSpacing()
        top = reasons.mapTo(viewport, reasons.rect().topLeft()).y()
        assert top + first_line <= viewport.height(), system
    # NEWS2's trigger is its first reason, not the last of eight.
    news2 = window.grading.cards["news2"].reasons.text().splitlines()
    if window.session.grades.systems["news2"].grade >= 7:
        assert "7 or more" in news2[0]


def test_due_strips_draw_every_character_with_the_shipped_font(window):
    labels = list(window.due.labels.values())
    assert labels
    if window.session.patient.mrn == OLD_MRN:
        assert window.due.overdue_keys()  # the old chart's timers are overdue
    for label in labels:
        label.ensurePolished()
        raw = QRawFont.fromFont(label.font())
        missing = [c for c in label.text() if ord(c) > 127 and not raw.supportsCharacter(ord(c))]
        assert not missing, (raw.familyName(), label.text())
