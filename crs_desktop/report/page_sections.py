"""The handover's sections, in SBAR order: the header, Situation (grades and why),
Background (treatment), Assessment (plots and latest values), Recommendation (the note,
the checklist, what is due, alerts and corrections). Each adds its blocks to a Page.
"""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from crs_desktop.domain import thresholds as clinical
from crs_desktop.domain.grading.wording import clock
from crs_desktop.domain.vocabulary import Category
from crs_desktop.report.handover_records import (
    MARK_WORDS,
    GradeSummary,
    HandoverData,
    local_datetime,
)
from crs_desktop.report.page_layout import BODY, GRADE, SMALL, Block, Canvas, Page, wrap
from crs_desktop.report.page_plots import plot_row

LISTING_TOGETHER = 12  # checklist entries of one status printed as one paragraph
STATUS_WORDS = {
    "not_done": "NOT DONE",
    "outstanding": "OUTSTANDING",
    "done": "done",
    "not_applicable": "not applicable",
}


# -- times -----------------------------------------------------------------------------


def _when(data: HandoverData, epoch: float) -> str:
    """'14:05', with the date when it is not the day the period ends."""
    return clock(epoch, data.tz, min(data.end, data.now))


def _long(data: HandoverData, epoch: float) -> str:
    return local_datetime(epoch, data.tz).strftime("%a %d %b %Y %H:%M")


def _this(data: HandoverData) -> str:
    """'this shift', or 'this period' when the period is longer than any shift."""
    return "this shift" if data.end - data.start <= 16 * 3600 else "this period"


def _period(data: HandoverData) -> str:
    a, b = local_datetime(data.start, data.tz), local_datetime(data.end, data.tz)
    first = a.strftime("%a %d %b %Y %H:%M")
    if a.date() == b.date():
        second = b.strftime("%H:%M")
    elif (b - a) <= timedelta(hours=24):  # a night shift: the next morning, by its day
        second = b.strftime("%a %d %b %H:%M")
    else:
        second = b.strftime("%a %d %b %Y %H:%M")
    hours = (data.end - data.start) / 3600
    return f"{first} – {second} ({round(hours, 1):g} h)"


# -- the sections --------------------------------------------------------------------------


def _header(page: Page, data: HandoverData) -> None:
    c = page.canvas
    name_font, right_font = c.font(16, bold=True), c.font(11, bold=True)
    detail_font, small = c.font(10.5), c.font(BODY)
    parts = [f"MRN {data.mrn}"]
    parts.append(f"{data.age_years} y" if data.age_years is not None else "age not recorded")
    parts.append(f"{data.weight_kg:g} kg" if data.weight_kg else "weight not recorded")
    parts.append(data.product or "CAR-T product not recorded")
    if data.day is not None and data.infusion_time is not None:
        infused = local_datetime(data.infusion_time, data.tz).strftime("%d %b %H:%M")
        parts.append(f"Day {data.day:+d} (infused {infused})")
    else:
        parts.append("infusion time not recorded")
    details = wrap(c, "   ·   ".join(parts), detail_font, page.width, bold_upto=len(parts[0]))
    title = "CRS / ICANS shift handover"
    # A long name wraps (never cut short: it identifies the patient) beside the title.
    name = wrap(c, data.name, name_font, page.width - c.width(title, right_font) - 12)
    period = f"Period: {_period(data)}"
    printed = f"Printed by {data.printed_by} at {_long(data, data.now)}"
    one_line = c.width(period, small) + c.width(printed, small) + 12 <= page.width
    small_h = c.line_height(small)
    height = sum(name.heights) + sum(details.heights) + small_h * (1 if one_line else 2) + 6

    def draw(c: Canvas, x: float, y: float) -> None:
        c.text(x + page.width, y + 3, title, right_font, align="right")
        top = y
        for wrapped in (name, details):
            for i, h in enumerate(wrapped.heights):
                wrapped.draw_line(c, i, x, top)
                top += h
        c.text(x, top + 1, period, small)
        if one_line:
            c.text(x + page.width, top + 1, printed, small, align="right")
        else:
            c.text(x, top + 1 + small_h, printed, small)
        c.line(x, y + height - 1, x + page.width, y + height - 1, c.pen(1.6))

    page.add(Block(height, draw))


def _grade_words(grade: GradeSummary) -> str:
    """The grade by number: the ASTCT tables give no words for their grades
    (REFERENCE.md §1.1, §4.2), so none are added; NEWS2 is a score."""
    if grade.grade is None:
        return "Not graded"
    if grade.system == "news2":
        return f"Score {grade.grade}"
    return f"Grade {grade.grade}"


def _maximum(value: int | None) -> str:
    return "–" if value is None else str(value)


def _grade_boxes(page: Page, data: HandoverData) -> None:
    c = page.canvas
    title_font, big = c.font(BODY + 0.5, bold=True), c.font(GRADE, bold=True)
    small, strong = c.font(BODY), c.font(BODY, bold=True)
    gap = 6.0
    width = (page.width - gap * (len(data.grades) - 1)) / len(data.grades)
    line = c.line_height(small)

    def beside(grade: GradeSummary) -> tuple[str, QFont]:
        if grade.system == "news2":
            band = grade.band.split(" (")[0]
            return band, strong
        if grade.since is None or not grade.grade:
            return "", small  # "grade 0 since ..." says little; the space is worth more
        return f"since {_when(data, grade.since)}", small

    # "since ..." goes beside the grade, or under it in every box when one does not fit.
    below = any(
        c.width(_grade_words(g), big) + c.width(*beside(g)) + 16 > width for g in data.grades
    )

    def highest(grade: GradeSummary) -> list[str]:
        shift, overall = _maximum(grade.max_shift), _maximum(grade.max_overall)
        if one_line:
            return [f"Highest: {_this(data)} {shift} · {data.max_scope} {overall}"]
        return [f"Highest {_this(data)}: {shift}", f"Highest {data.max_scope}: {overall}"]

    one_line = c.width(f"Highest: {_this(data)} 99 · {data.max_scope} 99", small) + 10 <= width
    lines = (2 if below else 1) + (1 if one_line else 2)
    height = c.line_height(title_font) + c.line_height(big) + lines * line + 7

    def draw(c: Canvas, x: float, y: float) -> None:
        for index, grade in enumerate(data.grades):
            left = x + index * (width + gap)
            # A heavier frame for CRS/ICANS grade 2 or more and NEWS2 5 or more: an
            # extra cue beside the number, never instead of it.
            serious = clinical.serious(grade.system, grade.grade)  # domain/thresholds.py
            c.p.setPen(c.pen(2.4 if serious else 0.8))
            c.p.setBrush(Qt.BrushStyle.NoBrush)
            c.p.drawRect(c.rect(left, y, width, height))
            top = y + 3
            c.text(left + 5, top, grade.title, title_font)
            top += c.line_height(title_font)
            c.text(left + 5, top, _grade_words(grade), big)
            words, font = beside(grade)
            if below:
                top += c.line_height(big)
                c.text(left + 5, top, words, font)
                top += line
            else:  # on the grade's baseline
                baseline = top + c.ascent(big) - c.ascent(font)
                c.text(left + width - 5, baseline, words, font, align="right")
                top += c.line_height(big)
            for words in highest(grade):
                c.text(left + 5, top, words, small)
                top += line

    page.add(Block(height, draw, gap_before=3))


def _situation(page: Page, data: HandoverData) -> None:
    if data.graded_at is None:
        page.heading("S", "Situation: grades")
    elif data.graded_at < data.start:
        page.heading("S", f"Situation: grades at {_long(data, data.graded_at)} (last charted)")
    else:
        page.heading("S", f"Situation: grades at {_when(data, data.graded_at)} (last charted)")
    _grade_boxes(page, data)
    if data.graded_at is None:
        page.paragraph("Not graded: nothing has been charted for this patient yet.", bold_upto=11)
    for grade in data.grades:
        short = grade.title.split(" (")[0]
        lead = f"{short} {_grade_words(grade).lower()}"
        if grade.system == "news2" and grade.grade is not None:
            lead += f", {grade.band}"
        if grade.reasons:
            text = f"{lead} because: " + "; ".join(grade.reasons) + "."
            page.paragraph(text, bold_upto=len(lead) + 9)
        elif grade.grade is not None:
            page.paragraph(f"{lead}: nothing charted meets a higher grade.", bold_upto=len(lead))
        for flag in grade.flags:
            page.paragraph(f"REVIEW ({short}): {flag}", bold_upto=len(short) + 10, indent=10)


def _doses(count: int, mg: float) -> str:
    return f"{count} dose{'' if count == 1 else 's'} ({mg:g} mg)" if count else "none"


def _given(data: HandoverData, *categories: Category) -> str:
    given = [d for d in data.drugs if d.category in {c.value for c in categories}]
    return "; ".join(
        f"{d.name.lower()} {d.dose} at {_when(data, d.at)}" + (f" ({d.note})" if d.note else "")
        for d in given
    )


def _background(page: Page, data: HandoverData) -> None:
    """Every drug and fluid given in the period, by kind, with its time."""
    page.heading("B", f"Background: treatment {_this(data)}")
    given = [d for d in data.drugs if d.name == "Tocilizumab"]
    toci = "; ".join(f"{d.dose} at {_when(data, d.at)}" for d in given) or "none"
    text = (
        f"Tocilizumab: {toci} {_this(data)}; last 24 h {_doses(*data.tocilizumab_24h)}; "
        f"in total {_doses(*data.tocilizumab_total)}."
    )
    others = [d for d in data.drugs if d.category == "anticytokine" and d.name != "Tocilizumab"]
    if others:
        shown = "; ".join(f"{d.name.lower()} {d.dose} at {_when(data, d.at)}" for d in others)
        text += f"   Other anti-cytokine: {shown}."
    page.paragraph(text, bold=("Tocilizumab:", "Other anti-cytokine:"), gap=1)
    steroids = f"Steroids: {_given(data, Category.CORTICOSTEROID) or f'none {_this(data)}'}."
    antipyretics = f"Antipyretics: {_given(data, Category.ANTIPYRETIC) or f'none {_this(data)}'}."
    page.paragraph(f"{steroids}   {antipyretics}", bold=("Steroids:", "Antipyretics:"), gap=0.5)
    fluids = _given(data, Category.FLUID)
    if fluids:
        fluids += f" ({data.fluids_ml:g} mL in all)"
    running = "; ".join(
        f"{r.name.lower()} {r.rate} since {_when(data, r.since)}" for r in data.running
    )
    page.paragraph(
        f"Fluid boluses: {fluids or f'none {_this(data)}'}.   "
        f"Vasopressors running now: {running or 'none'}.",
        bold=("Fluid boluses:", "Vasopressors running now:"),
        gap=0.5,
    )


def _latest_table(page: Page, data: HandoverData) -> None:
    """The latest value of each item, grouped by the time it was charted (a set of
    vitals shares one time), newest first."""
    page.subheading("Latest value of each item, by the time it was charted")
    by_time: dict[float, list[str]] = {}
    for value in data.latest:
        shown = f"{value.label} {value.value}" + (" (extreme)" if value.extreme else "")
        by_time.setdefault(value.at, []).append(shown)
    rows = [(_when(data, at), ";  ".join(items)) for at, items in sorted(by_time.items())[::-1]]
    page.table((("Time", 0), ("Values", 1.0)), rows, bold_first=True, header=False)


def _assessment(page: Page, data: HandoverData) -> None:
    page.heading("A", "Assessment: observations")
    if data.empty:
        _nothing_charted(page, data)
    else:
        plots = [*data.shift_plots, *data.lab_plots]
        per_row = 3
        for first in range(0, len(plots), per_row):
            plot_row(page, plots[first : first + per_row], per_row, data.tz)
        legend = (
            "Letters on plots mark drugs given: "
            + ", ".join(f"{code} {words}" for code, words in MARK_WORDS.items())
            + ". Hatched: vasopressor running."
        )
        page.paragraph(legend, size=SMALL + 0.5, italic=True)
    if data.latest:
        _latest_table(page, data)
    else:
        page.paragraph("No values had been charted for this patient by the end of the period.")


def _nothing_charted(page: Page, data: HandoverData) -> None:
    c = page.canvas
    font = c.font(14, bold=True)
    a = local_datetime(data.start, data.tz).strftime("%d %b %H:%M")
    b = local_datetime(data.end, data.tz).strftime("%d %b %H:%M")
    words = f"Nothing was charted for this patient from {a} to {b}."
    wrapped = wrap(c, words, font, page.width - 16)
    height = sum(wrapped.heights) + 14

    def draw(c: Canvas, x: float, y: float) -> None:
        c.p.setPen(c.pen(2.0))
        c.p.setBrush(Qt.BrushStyle.NoBrush)
        c.p.drawRect(c.rect(x, y, page.width, height))
        top = y + 7
        for i, h in enumerate(wrapped.heights):
            wrapped.draw_line(c, i, x + 8, top)
            top += h

    page.add(Block(height, draw, gap_before=4))


def _listing(page: Page, status: str, entries: list[str]) -> None:
    """'DONE (3): a; b; c.' kept whole on a page; a long list (a long period) an entry a
    line, so no entry is ever cut across pages."""
    lead = f"{status} ({len(entries)}):"
    if len(entries) <= LISTING_TOGETHER:
        page.paragraph(f"{lead} " + "; ".join(entries) + ".", bold_upto=len(lead), together=True)
        return
    for entry in entries:
        page.paragraph(f"{status}: {entry}.", bold_upto=len(status) + 1, together=True)


def _recommendation(page: Page, data: HandoverData) -> None:
    page.heading("R", "Recommendation: to do and to watch")
    if data.note is not None:
        lead = f"Handover note ({data.note.by}, {_when(data, data.note.at)}):"
        texts = data.note.text.splitlines() or [""]
        texts[0] = f"{lead} {texts[0]}"
        for index, text in enumerate(texts):
            page.paragraph(
                text or " ",
                size=BODY + 0.5,
                bold_upto=len(lead) if index == 0 else 0,
                indent=7,
                gap=1.5 if index == 0 else 0.5,
                bar=True,
            )
    else:
        page.paragraph(f"Handover note: none was written {_this(data)}.", bold_upto=14)

    # What is left, what was not done (and why), what was done: a few of each as one
    # paragraph, so a typical shift's checklist stays a few lines and fits the page.
    page.subheading(f"Checklist {_this(data)}")
    if data.outstanding:
        _listing(page, STATUS_WORDS["outstanding"], list(data.outstanding))
    answered = sorted(data.checklist, key=lambda m: m.at)
    for status in ("not_done", "not_applicable", "done"):
        entries = [
            f"{m.title} ({_when(data, m.at)}, {m.by})" + (f": {m.reason}" if m.reason else "")
            for m in answered
            if m.status == status
        ]
        if entries:
            _listing(page, STATUS_WORDS[status].upper(), entries)
    if not answered:
        page.paragraph(f"No checklist items were marked {_this(data)}.")
    if data.outstanding is None:
        page.paragraph(
            "Outstanding actions and observations due: not known to this printout (made "
            "without the window's checklist); check them in the window.",
            bold_upto=42,
        )
    else:
        if not data.outstanding:
            page.paragraph("Outstanding actions: none.", bold_upto=20)
        due = "; ".join(data.observations_due or ()) or "none listed"
        page.paragraph(f"Observations due: {due}.", bold_upto=17)

    nothing = [
        words
        for words, found in (
            (f"Alerts acknowledged {_this(data)}: none.", data.alerts),
            (f"Corrections made {_this(data)}: none.", data.corrections),
        )
        if not found
    ]
    if nothing:
        page.paragraph("   ".join(nothing), bold=[w[: w.index(":") + 1] for w in nothing], gap=3)
    for alert in data.alerts:
        lead = f"Alert acknowledged {_when(data, alert.at)}:"
        page.paragraph(f"{lead} {alert.text} (by {alert.by}).", bold_upto=len(lead), together=True)
    for k in data.corrections:
        lead = f"Correction {_when(data, k.at)}:"
        replaced = f"replaced by {k.replacement}" if k.replacement else "not replaced"
        page.paragraph(
            f"{lead} {k.item.lower()} {k.value} (observed {_when(data, k.observed_at)}) marked "
            f"entered in error by {k.by}; reason: {k.reason or 'not given'}; {replaced}.",
            bold_upto=len(lead),
            together=True,
        )


def sbar_page(canvas: Canvas, data: HandoverData, width: float, plot_h: float) -> Page:
    """Every block of the handover, in order, for a content area `width` points wide."""
    page = Page(canvas, width, plot_h)
    _header(page, data)
    _situation(page, data)
    _background(page, data)
    _assessment(page, data)
    _recommendation(page, data)
    return page
