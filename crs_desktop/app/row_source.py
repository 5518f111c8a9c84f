"""Where a charted value came from, in the words the window shows on hover."""

from __future__ import annotations

from datetime import datetime

from crs_desktop.app.records import ChartedRow

HL7_SOURCE = "hl7"  # the source column of the values the HL7 listener charts


def source_words(row: ChartedRow) -> str:
    """'charted by RN Demo', or for a value that arrived by HL7, its sender and when it
    arrived: 'from LAB (CITYHOSP) via HL7, 14:02'."""
    if row.source != HL7_SOURCE:
        return f"charted by {row.charted_by}"
    arrived = datetime.fromtimestamp(row.recorded_at).astimezone()
    observed = datetime.fromtimestamp(row.observed_at).astimezone()
    when = arrived.strftime("%H:%M" if arrived.date() == observed.date() else "%d %b %H:%M")
    return f"from {row.charted_by} via HL7, {when}"
