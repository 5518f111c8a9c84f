"""Hover a plotted point for its value, unit, time and who charted it; double-click it to
correct it. A mixin of PlotStack (kept apart so each module reads in one sitting)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QToolTip

from crs_desktop.app.row_source import source_words
from crs_desktop.domain.vocabulary import ITEMS, value_text

if TYPE_CHECKING:
    from crs_desktop.app.plot_data import PlotData, PlotSpec
    from crs_desktop.app.records import Patient


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().strftime("%d %b %H:%M")


class PointHover:
    """The tooltip and the double-click of a charted point."""

    specs: tuple[PlotSpec, ...]
    plots: dict[str, Any]
    data: PlotData  # the core's: the series and the rows under a point
    patient: Patient
    view: Any
    point_clicked: Any

    def _nearest(self, scene_pos: QPointF) -> tuple[str, float, float] | None:
        """(item, time, value) of the charted point nearest the pointer, within 20 px."""
        for spec in self.specs:
            plot = self.plots[spec.key]
            if not plot.isVisible() or not plot.sceneBoundingRect().contains(scene_pos):
                continue
            vb = plot.getViewBox()
            best: tuple[float, str, float, float] | None = None
            for item in spec.items:
                buf = self.data.buffers[item]
                index = buf.nearest(vb.mapSceneToView(scene_pos).x())
                if index is None:
                    continue
                point = vb.mapViewToScene(QPointF(buf.t[index], buf.v[index]))
                distance = (point - scene_pos).manhattanLength()
                if distance <= 20 and (best is None or distance < best[0]):
                    best = (distance, item, float(buf.t[index]), float(buf.v[index]))
            if best:
                return best[1], best[2], best[3]
        return None

    def describe_point(self, item: str, at: float) -> str:
        """'Temperature 38.4 °C at 24 Nov 14:32, charted by RN Demo' from the stored row (for a
        value from the HL7 listener: 'from LAB (CITYHOSP) via HL7, 14:32')."""
        rows = self.data.rows_at(item, at)
        if not rows:
            return ""
        lines = []
        for row in rows:
            # '38.9 °C (102 °F)': read as charted, never '38.8889' (vocabulary.value_text).
            value = value_text(item, row.value, row.text, row.written_value, row.written_unit)
            line = f"{ITEMS[item].label} {value} at {_clock(row.observed_at)}"
            line += f"\n{source_words(row)}"  # 'from LAB via HL7, 14:02' (issue 18)
            if row.extreme:
                line += "\n★ extreme value, confirmed when charted"
            if row.entered_in_error:
                line += f"\n✗ ENTERED IN ERROR: {row.error_reason} ({row.error_by})"
            lines.append(line)
        return "\n".join(lines)

    def _hover(self, scene_pos: QPointF) -> None:
        found = self._nearest(scene_pos)
        if found is None:
            QToolTip.hideText()
            return
        words = self.describe_point(found[0], found[1])
        global_pos = self.view.mapToGlobal(self.view.mapFromScene(scene_pos))
        QToolTip.showText(global_pos, words, self.view)

    def _clicked(self, event: Any) -> None:  # pyqtgraph MouseClickEvent
        found = self._nearest(event.scenePos())
        if found is not None and event.double():
            self.point_clicked.emit(found[0], found[1])
