"""Moved to crs_desktop.app.treatment; kept for ui/mark_dialog.py (issue 16: the "form"
helper's file) and report/handover_data.py until their imports change."""

from crs_desktop.app.treatment import TreatmentState

__all__ = ["TreatmentState"]
