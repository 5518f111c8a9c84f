"""The ward's treatment protocol: what to do at each CRS and ICANS grade, tocilizumab limits,
and how often to reassess, read from a TOML file (resources/protocols/default.toml).

The numbers an institution may change live in that file, not in code
(DESIGN.md); every action and rule in it names its source. A file that does
not hold together is refused whole, with the line and what is wrong, so a
ward never runs on half a protocol.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crs_desktop.domain.errors import UserError
from crs_desktop.domain.grading.settings import GradingSettings
from crs_desktop.domain.thresholds import fever_words
from crs_desktop.domain.vocabulary import DOSE_ITEMS, ITEMS

FORMAT = 1
SYSTEMS = {"crs": "astct_crs", "icans": "astct_icans", "news2": "news2"}
# An action's `grades` are the system's grades; for NEWS2 they are its trigger levels
# (domain/escalation.py, REFERENCE.md §7.2): 1 a single parameter scoring 3, 2 a total of
# 5 or more, 3 a total of 7 or more.
TOP_GRADE = {"astct_crs": 4, "astct_icans": 4, "news2": 3}
EVIDENCE = {"C": "confirmed", "S": "secondary source", "U": "unverified"}
# Conditions that make a reassessment due more often (see Condition).
_CONDITION = re.compile(r"^\s*(febrile|news2_single_3|(crs|icans|news2)\s*>=\s*(\d+))\s*$")


# Where an action's source cites REFERENCE.md: what a nurse reads ends there.
_CITATION = re.compile(r"\s*\(?(Not in )?REFERENCE\.md")


class ProtocolError(UserError):
    """A protocol file that cannot be used; the message names the file, the line and why."""


@dataclass(frozen=True, slots=True)
class Action:
    """One thing the protocol says to do at some grades of one system."""

    key: str
    system: str  # "astct_crs" or "astct_icans"
    grades: tuple[int, ...]
    group: str
    title: str
    detail: str
    source: str
    evidence: str  # C, S or U, as REFERENCE.md tags it
    drug: str | None = None  # marking it done charts a dose (or a fluid volume) of this item
    dose_mg: float | None = None
    dose_mg_per_kg: float | None = None
    # A dose counts as done for this long (REFERENCE.md §1.3a item 9); None: the reference
    # gives no interval (see Protocol.repeat_h).
    repeat_h: float | None = None
    precheck_for: str | None = None  # the key of the drug action this is checked before
    done_asks: str = ""  # what "done" must say, e.g. who was informed (charted with it)

    @property
    def unverified(self) -> bool:
        return self.evidence == "U"

    @property
    def source_shown(self) -> str:
        """The source as a nurse reads it: the guideline in ward words ("ASCO 2021, CRS
        grade 3"), without the REFERENCE.md citation (a developer document) after it."""
        cut = _CITATION.search(self.source)
        shown = self.source[: cut.start()].strip(" ;:,") if cut else self.source
        return shown or "ward protocol file"


@dataclass(frozen=True, slots=True)
class TocilizumabRules:
    """Dose and limits for tocilizumab in CRS (REFERENCE.md §5.1)."""

    mg_per_kg: float
    mg_per_kg_below_split: float
    weight_split_kg: float
    max_dose_mg: float
    min_interval_h: float
    max_doses_24h: int
    max_doses_total: int
    source: str


@dataclass(frozen=True, slots=True)
class Condition:
    """'febrile', 'news2_single_3', or a grade or score at least a number ('crs >= 2')."""

    text: str
    kind: str  # febrile, news2_single_3, crs, icans, news2
    at_least: int = 0

    @property
    def words(self) -> str:
        """As a nurse reads it: 'CRS grade ≥ 2', 'febrile (≥ 38.0 °C)'."""
        if self.kind == "febrile":
            return f"febrile ({fever_words()})"  # REFERENCE.md §1.1
        if self.kind == "news2_single_3":
            return "a NEWS2 parameter scores 3"
        name = {"crs": "CRS grade", "icans": "ICANS grade", "news2": "NEWS2"}[self.kind]
        return f"{name} ≥ {self.at_least}"


@dataclass(frozen=True, slots=True)
class Faster:
    """Reassess more often while a condition holds."""

    when: Condition
    every_h: float | None  # None: `continuous` alone (the interval of the other rules holds)
    source: str
    continuous: bool = False  # REFERENCE.md §7.2: continuous monitoring of vital signs


@dataclass(frozen=True, slots=True)
class TimerRule:
    """A reassessment that falls due `every_h` after its items were last all charted."""

    key: str
    title: str
    items: tuple[str, ...]
    every_h: float
    source: str
    faster: tuple[Faster, ...] = ()


@dataclass(frozen=True, slots=True)
class Protocol:
    """A whole protocol file, checked."""

    name: str
    origin: str  # the file it came from
    actions: tuple[Action, ...]
    tocilizumab: TocilizumabRules
    timers: tuple[TimerRule, ...]
    # The grading numbers a ward may change ([grading] tables; their defaults without).
    grading: GradingSettings = field(default_factory=GradingSettings)

    def actions_for(self, system: str, grade: int | None) -> list[Action]:
        """The actions due at this grade of this system, in file order."""
        if grade is None:
            return []
        return [a for a in self.actions if a.system == system and grade in a.grades]

    def action(self, key: str) -> Action | None:
        return next((a for a in self.actions if a.key == key), None)

    def repeat_h(self, action: Action) -> float | None:
        """How long a dose of the action's drug counts as done (§1.3a item 9): its own
        `repeat_h`, or for tocilizumab the protocol's minimum interval (§5.1: repeat at a
        minimum interval of 8 h if no improvement); None where the reference gives none."""
        if action.repeat_h is not None:
            return action.repeat_h
        if action.drug == "tocilizumab":
            return self.tocilizumab.min_interval_h
        return None


# -- reading ---------------------------------------------------------------------


class _Lines:
    """Finds the line of a table or key in the file text, for messages."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def of_table(self, header: str, index: int, after: int = 0) -> int:
        """The line of the index-th `[[header]]` after line `after` (1-based; 0 if not found)."""
        pattern = re.compile(r"^\s*\[\[\s*" + re.escape(header) + r"\s*\]\]")
        seen = -1
        for number, line in enumerate(self.lines, 1):
            if number > after and pattern.match(line):
                seen += 1
                if seen == index:
                    return number
        return 0

    def of_header(self, header: str) -> int:
        """The line of `[header]` (0 if not found)."""
        pattern = re.compile(r"^\s*\[\s*" + re.escape(header) + r"\s*\]")
        return next((n for n, line in enumerate(self.lines, 1) if pattern.match(line)), 0)

    def of_key(self, key: str, start: int = 0) -> int:
        """The first line at or after `start` that sets `key` (0 if not found)."""
        pattern = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
        for number in range(max(start, 1), len(self.lines) + 1):
            if pattern.match(self.lines[number - 1]):
                return number
        return start


class _Reader:
    """Checks one table's fields, naming the line of a bad one."""

    def __init__(self, origin: str, lines: _Lines, table: Mapping[str, Any], what: str, line: int):
        self.origin, self.lines, self.table, self.what, self.line = origin, lines, table, what, line

    def fail(self, key: str | None, problem: str) -> ProtocolError:
        line = self.lines.of_key(key, self.line) if key else self.line
        where = f"{self.origin} line {line}" if line else self.origin
        return ProtocolError(f"{where}: {self.what}: {problem}")

    def text(self, key: str, required: bool = True) -> str:
        value = self.table.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(key if key in self.table else None, f"'{key}' must be non-empty text")
        return value.strip()

    def number(self, key: str, low: float, high: float, required: bool = True) -> float | None:
        value = self.table.get(key)
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key if key in self.table else None, f"'{key}' must be a number")
        if not low <= value <= high:
            raise self.fail(key, f"'{key}' = {value}: allowed {low:g} to {high:g}")
        return float(value)

    def whole(self, key: str, low: int, high: int) -> int:
        value = self.table.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key if key in self.table else None, f"'{key}' must be a whole number")
        if not low <= value <= high:
            raise self.fail(key, f"'{key}' = {value}: allowed {low} to {high}")
        return value

    def unknown_keys(self, allowed: set[str]) -> None:
        for key in self.table:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                raise self.fail(key, f"unknown field '{key}'; allowed: {known}")


def _condition(reader: _Reader, text: str) -> Condition:
    match = _CONDITION.match(text)
    if match is None:
        raise reader.fail(
            "when",
            f"'when' = {text!r}: allowed 'febrile', 'news2_single_3', 'crs >= N', "
            "'icans >= N' or 'news2 >= N'",
        )
    if match.group(2):
        return Condition(text.strip(), match.group(2), int(match.group(3)))
    return Condition(text.strip(), match.group(1))


def _action(origin: str, lines: _Lines, table: Any, index: int) -> Action:
    line = lines.of_table("action", index)
    if not isinstance(table, dict):
        raise ProtocolError(f"{origin} line {line}: action {index + 1}: must be a table")
    key_text = table.get("key")
    what = f"action {key_text!r}" if isinstance(key_text, str) else f"action {index + 1}"
    r = _Reader(origin, lines, table, what, line)
    r.unknown_keys(
        {"key", "system", "grades", "group", "title", "detail", "source", "evidence", "drug"}
        | {"dose_mg", "dose_mg_per_kg", "repeat_h", "precheck_for", "done_asks"}
    )
    key = r.text("key")
    if not re.fullmatch(r"[a-z0-9_]+", key):
        raise r.fail("key", f"'key' = {key!r}: use lower-case letters, digits and _")
    system = r.text("system")
    if system not in SYSTEMS:
        raise r.fail("system", f"'system' = {system!r}: allowed 'crs', 'icans' or 'news2'")
    top = TOP_GRADE[SYSTEMS[system]]
    grades = table.get("grades")
    if (
        not isinstance(grades, list)
        or not grades
        or any(isinstance(g, bool) or not isinstance(g, int) or not 1 <= g <= top for g in grades)
    ):
        kind = "NEWS2 trigger levels" if system == "news2" else "grades"
        raise r.fail(
            "grades" if "grades" in table else None,
            f"'grades' = {grades!r}: a list of {kind} from 1 to {top}, e.g. [2, 3]",
        )
    evidence = r.text("evidence")
    if evidence not in EVIDENCE:
        raise r.fail(
            "evidence",
            f"'evidence' = {evidence!r}: allowed C (confirmed), S (secondary source) "
            "or U (unverified)",
        )
    drug = r.text("drug", required=False) or None
    if drug is not None and drug not in DOSE_ITEMS:
        raise r.fail("drug", f"'drug' = {drug!r}: allowed {', '.join(sorted(DOSE_ITEMS))}")
    dose_mg = r.number("dose_mg", 0.001, 5000, required=False)
    per_kg = r.number("dose_mg_per_kg", 0.001, 100, required=False)
    if (dose_mg is not None or per_kg is not None) and drug is None:
        raise r.fail("dose_mg" if dose_mg is not None else "dose_mg_per_kg", "a dose needs 'drug'")
    if (dose_mg is not None or per_kg is not None) and ITEMS[drug or ""].canonical_unit != "mg":
        raise r.fail("dose_mg", f"a dose in mg does not fit {drug!r} (charted in mL)")
    if dose_mg is not None and per_kg is not None:
        raise r.fail("dose_mg_per_kg", "give 'dose_mg' or 'dose_mg_per_kg', not both")
    repeat_h = r.number("repeat_h", 0.25, 168, required=False)
    if repeat_h is not None and drug is None:
        raise r.fail("repeat_h", "a repeat interval needs 'drug'")
    return Action(
        key=key,
        system=SYSTEMS[system],
        grades=tuple(sorted(set(grades))),
        group=r.text("group"),
        title=r.text("title"),
        detail=r.text("detail", required=False),
        source=r.text("source"),
        evidence=evidence,
        drug=drug,
        dose_mg=dose_mg,
        dose_mg_per_kg=per_kg,
        repeat_h=repeat_h,
        precheck_for=r.text("precheck_for", required=False) or None,
        done_asks=r.text("done_asks", required=False),
    )


def _tocilizumab(origin: str, lines: _Lines, table: Any) -> TocilizumabRules:
    line = lines.of_header("tocilizumab")
    if not isinstance(table, dict):
        raise ProtocolError(f"{origin}: the [tocilizumab] table is missing")
    r = _Reader(origin, lines, table, "[tocilizumab]", line)
    r.unknown_keys(
        {"mg_per_kg", "mg_per_kg_below_split", "weight_split_kg", "max_dose_mg"}
        | {"min_interval_h", "max_doses_24h", "max_doses_total", "source"}
    )
    return TocilizumabRules(
        mg_per_kg=r.number("mg_per_kg", 0.1, 50) or 0.0,
        mg_per_kg_below_split=r.number("mg_per_kg_below_split", 0.1, 50) or 0.0,
        weight_split_kg=r.number("weight_split_kg", 1, 200) or 0.0,
        max_dose_mg=r.number("max_dose_mg", 1, 5000) or 0.0,
        min_interval_h=r.number("min_interval_h", 0, 168) or 0.0,
        max_doses_24h=r.whole("max_doses_24h", 1, 24),
        max_doses_total=r.whole("max_doses_total", 1, 100),
        source=r.text("source"),
    )


def _timer(origin: str, lines: _Lines, table: Any, index: int) -> TimerRule:
    line = lines.of_table("timer", index)
    if not isinstance(table, dict):
        raise ProtocolError(f"{origin} line {line}: timer {index + 1}: must be a table")
    key_text = table.get("key")
    what = f"timer {key_text!r}" if isinstance(key_text, str) else f"timer {index + 1}"
    r = _Reader(origin, lines, table, what, line)
    r.unknown_keys({"key", "title", "items", "every_h", "source", "faster"})
    items = table.get("items")
    if not isinstance(items, list) or not items or any(i not in ITEMS for i in items):
        raise r.fail(
            "items" if "items" in table else None,
            f"'items' = {items!r}: a list of chart items (chart-csv.md), e.g. ['ice_score']",
        )
    faster = []
    rules = table.get("faster", [])
    if not isinstance(rules, list):
        raise r.fail("faster", "'faster' must be [[timer.faster]] tables")
    for n, rule in enumerate(rules):
        rule_line = lines.of_table("timer.faster", n, after=line) or line
        fr = _Reader(origin, lines, rule, f"{what}, faster rule {n + 1}", rule_line)
        if not isinstance(rule, dict):
            raise fr.fail(None, "must be a table")
        fr.unknown_keys({"when", "every_h", "source", "continuous"})
        continuous = rule.get("continuous", False)
        if not isinstance(continuous, bool):
            raise fr.fail("continuous", "'continuous' must be true or false")
        faster.append(
            Faster(
                _condition(fr, fr.text("when")),
                fr.number("every_h", 0.25, 48, required=continuous is False),
                fr.text("source"),
                continuous,
            )
        )
    return TimerRule(
        key=r.text("key"),
        title=r.text("title"),
        items=tuple(items),
        every_h=r.number("every_h", 0.25, 48) or 0.0,
        source=r.text("source"),
        faster=tuple(faster),
    )


# [grading.*] tables: each sets some GradingSettings fields, and names its source.
# (table, {key in the file: (settings field, lowest, highest)}, every key required).
# The ranges only refuse a typo (a MAP of 650); the values are the ward's to choose.
GRADING_TABLES: dict[str, tuple[dict[str, tuple[str, float, float]], bool]] = {
    # REFERENCE.md §1.3a item 1: hypotension without a vasopressor.
    "hypotension": (
        {
            "systolic_below_mmhg": ("systolic_threshold", 50, 150),
            "map_below_mmhg": ("map_threshold", 40, 110),
        },
        True,
    ),
    # REFERENCE.md §1.3a item 2: review a fever waiver resting on an old drug.
    "fever_waiver": ({"review_after_days": ("fever_waiver_review_days", 1, 90)}, True),
    # REFERENCE.md §1.3a item 3: review an old seizure, motor weakness or edema finding.
    "neuro_findings": ({"review_after_h": ("neuro_finding_review_h", 1, 720)}, True),
    # REFERENCE.md §6.2: laboratory-specific upper limits (Lee 2014 organ toxicity).
    "lab_limits": (
        {
            "alt_uln_u_per_l": ("alt_uln", 1, 1000),
            "creatinine_uln_umol_per_l": ("creatinine_uln", 1, 2000),
        },
        False,
    ),
}


def _grading(origin: str, lines: _Lines, table: Any) -> GradingSettings:
    """The [grading.*] tables over the built-in defaults (GradingSettings)."""
    if table is None:
        return GradingSettings()
    top = _Reader(origin, lines, table if isinstance(table, dict) else {}, "[grading]", 0)
    if not isinstance(table, dict):
        raise top.fail(None, "must be [grading.NAME] tables")
    changes: dict[str, float] = {}
    for name, sub in table.items():
        header = f"grading.{name}"
        if name not in GRADING_TABLES:
            known = ", ".join(f"[grading.{n}]" for n in GRADING_TABLES)
            line = lines.of_header(header) or lines.of_key(name)
            where = f"{origin} line {line}" if line else origin
            raise ProtocolError(f"{where}: unknown table [{header}]; allowed: {known}")
        keys, all_required = GRADING_TABLES[name]
        r = _Reader(origin, lines, sub, f"[{header}]", lines.of_header(header))
        if not isinstance(sub, dict):
            raise r.fail(None, "must be a table")
        r.unknown_keys({*keys, "source"})
        r.text("source")  # a ward that changes a number says why
        for key, (setting, low, high) in keys.items():
            value = r.number(key, low, high, required=all_required)
            if value is not None:
                changes[setting] = value
    return GradingSettings(**changes)  # type: ignore[arg-type]


def parse_protocol(text: str, origin: str) -> Protocol:
    """A protocol from the text of a TOML file; ProtocolError naming the line if it is bad."""
    lines = _Lines(text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib says "... (at line 12, column 5)": put the line first, as for every error.
        message = str(exc)
        found = re.search(r"\(at line (\d+), column \d+\)", message)
        where = f"{origin} line {found.group(1)}" if found else origin
        problem = message[: found.start()].strip() if found else message
        raise ProtocolError(f"{where}: not valid TOML: {problem}") from None
    top = _Reader(origin, lines, data, "the file", 0)
    top.unknown_keys({"format", "name", "tocilizumab", "timer", "action", "grading"})
    if data.get("format") != FORMAT:
        raise top.fail("format", f"'format' = {data.get('format')!r}: this version reads {FORMAT}")
    actions = [_action(origin, lines, t, n) for n, t in enumerate(data.get("action", []))]
    if not actions:
        raise ProtocolError(f"{origin}: no [[action]] tables: a protocol lists what to do")
    seen: dict[str, int] = {}
    for n, action in enumerate(actions):
        if action.key in seen:
            line = lines.of_table("action", n)
            raise ProtocolError(
                f"{origin} line {line}: action {action.key!r}: the key is used twice "
                f"(first by action {seen[action.key] + 1})"
            )
        seen[action.key] = n
    for n, action in enumerate(actions):
        target = action.precheck_for
        drug_keys = [a.key for a in actions if a.drug]
        if target is not None and target not in drug_keys:
            line = lines.of_key("precheck_for", lines.of_table("action", n))
            raise ProtocolError(
                f"{origin} line {line}: action {action.key!r}: 'precheck_for' = {target!r}: "
                f"allowed the key of an action with a drug: {', '.join(drug_keys)}"
            )
    timers = tuple(_timer(origin, lines, t, n) for n, t in enumerate(data.get("timer", [])))
    return Protocol(
        name=top.text("name"),
        origin=origin,
        actions=tuple(actions),
        tocilizumab=_tocilizumab(origin, lines, data.get("tocilizumab")),
        timers=timers,
        grading=_grading(origin, lines, data.get("grading")),
    )
