"""The handover summary: gathered without Qt (handover_data), drawn by one function for
print, print preview and PDF (render).

    data = build_handover(store, patient_id, start, end, printed_by=..., now=...)
    render_handover(data, printer)          # QPrinter / QPrintPreviewWidget's printer
    write_handover_pdf(data, "handover.pdf")

Only the gathering is imported here, so importing the package does not load Qt;
the drawing is `crs_desktop.report.render`.

Gathering, no Qt: handover_data (build_handover) with gather_grades, gather_plots and
gather_treatment, into the records of handover_records. Drawing, Qt: render (pages,
footer, PDF) with page_sections (the SBAR sections), page_plots (the plots) and
page_layout (points on any device, wrapped text, blocks and pagination).
"""

from crs_desktop.app.shifts import current_shift, previous_shift
from crs_desktop.report.handover_data import HandoverData, build_handover

__all__ = ["HandoverData", "build_handover", "current_shift", "previous_shift"]
