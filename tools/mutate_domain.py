"""A mutation check over crs_desktop/domain/: does a test notice each clinical number moved?

Each mutant changes ONE thing in one domain module: a number one step up or down at its
own precision (38.0 -> 38.1 and 37.9; 90 -> 91 and 89), a comparison's strictness
(< <-> <=, > <-> >=), or an equality of two times (== -> <=, >=, !=: readings paired by
time). The tests that cover that module run against it (fast subset,
stopping at the first failure); a mutant no test fails on "survives". Run it with the
project's Python (the one that has pytest and the test libraries). Prints one JSON line
(the kill rates) and then each survivor as file:line, what changed, and the line.

    python tools/mutate_domain.py [--files grading/news2.py ...] [--timeout 180] [--list]

It works on a copy of the repository in a temporary folder, so the worktree is never
left mutated. Numbers that are unit conversions or layout (3600, 60, 1000, an index) are
not clinical thresholds, nor is what an absent value counts as (`value or 0.0`,
`table.get(word, 0)`): they are mutated too when --all is given, else skipped (see
NOT_CLINICAL); comparisons are always mutated.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import tokenize
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = ROOT / "crs_desktop" / "domain"

# The tests that cover each module (the fast subset), relative to tests/.
GRADING = [
    "test_grading_astct_crs.py",
    "test_grading_lee_ctcae.py",
    "test_grading_icans.py",
    "test_grading_news2.py",
    "test_grading_time.py",
    "test_clinical_numbers.py",
    "test_mutation_survivors.py",
    "test_grading_decisions.py",
]
# The window tests of escalations and the checklist, the slowest: run last.
WINDOW_CHECKLIST = ["test_window_escalation.py", "test_window_checklist.py"]
TESTS: dict[str, list[str]] = {
    # Each list runs in order and stops at the first failure: the quickest first.
    "thresholds.py": [
        "test_grading_astct_crs.py",
        "test_grading_news2.py",
        "test_clinical_numbers.py",
        "test_checklist.py",
    ],
    "grading/news2.py": [
        "test_grading_news2.py",
        "test_clinical_numbers.py",
        "test_mutation_survivors.py",
        "test_grading_decisions.py",
    ],
    "grading/astct_crs.py": [
        "test_grading_astct_crs.py",
        "test_grading_time.py",
        "test_mutation_survivors.py",
        "test_grading_decisions.py",
    ],
    "grading/astct_icans.py": [
        "test_grading_icans.py",
        "test_mutation_survivors.py",
        "test_grading_decisions.py",
    ],
    "grading/lee2014.py": [
        "test_grading_lee_ctcae.py",
        "test_mutation_survivors.py",
        "test_grading_decisions.py",
    ],
    "grading/ctcae.py": [
        "test_grading_lee_ctcae.py",
        "test_mutation_survivors.py",
        "test_grading_decisions.py",
    ],
    "grading/oxygen_fraction.py": [
        "test_grading_lee_ctcae.py",
        "test_grading_astct_crs.py",
        "test_mutation_survivors.py",
    ],
    "grading/chart_state.py": [
        "test_grading_astct_crs.py",
        "test_grading_time.py",
        "test_mutation_survivors.py",
        "test_grading_decisions.py",
    ],
    "grading/settings.py": GRADING,
    "grading/grader.py": [
        "test_grading_time.py",
        "test_grading_news2.py",
        "test_mutation_survivors.py",
    ],
    "vitals.py": [
        "test_grading_astct_crs.py",
        "test_mutation_survivors.py",
        "test_entry_form_keyboard.py",
    ],
    "oxygen_course.py": ["test_oxygen_course.py", "test_mutation_survivors.py"],
    "reassessment.py": ["test_checklist.py", "test_mutation_survivors.py", *WINDOW_CHECKLIST],
    "checklist.py": ["test_checklist.py", "test_mutation_survivors.py", *WINDOW_CHECKLIST],
    "drug_doses.py": [
        "test_checklist.py",
        "test_mutation_survivors.py",
        "test_clinical_numbers.py",
        *WINDOW_CHECKLIST,
    ],
}
DEFAULT_FILES = list(TESTS)

# Mutants that are not of a clinical threshold, counted apart in the JSON line: the walk's
# bookkeeping in grader.py (indices, snapshots, row order), the plot band numbers, the order
# of checklist answers and acknowledgements by when they were recorded.
NOT_CLINICAL_FILES = ("grading/grader.py",)
NOT_CLINICAL_LINES = re.compile(r"BAND_NAMES =|recorded_at|acknowledged_at|due_at is None")
# Numbers that are not clinical thresholds: unit conversions, snapshot spacing, rounding.
NOT_CLINICAL = re.compile(
    r"3600|\b60\b|1000|SNAPSHOT_EVERY|round\(|\[-?\d\]|\bHOUR|DAY_S\s*=|% 60|// 60|"
    r"__slots__|range\(|enumerate\(|\.split|\[:|maxsplit"
)
ZEROS = ("0", "0.0")
COMPARE = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}


@dataclass(frozen=True)
class Mutant:
    file: str  # relative to crs_desktop/domain
    line: int
    col: int
    old: str
    new: str
    kind: str  # "number" or "comparison"
    clinical: bool
    source: str  # the original line

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def _step(text: str) -> float:
    if "." in text and not text.lower().startswith("0x"):
        decimals = len(text.split(".")[1].rstrip("jJ"))
        return 10.0**-decimals if decimals else 1.0
    return 1.0


def _moved(text: str, sign: int) -> str:
    step = _step(text)
    if "." in text:
        decimals = len(text.split(".")[1])
        return f"{float(text) + sign * step:.{decimals}f}"
    return str(int(text, 0) + sign)


def mutants_of(rel: str, all_numbers: bool) -> list[Mutant]:
    source = (DOMAIN / rel).read_text(encoding="utf-8")
    lines = source.splitlines()
    found: list[Mutant] = []
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(source).readline)
        if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)
    ]
    for n, tok in enumerate(tokens):
        if tok.type not in (tokenize.OP, tokenize.NUMBER):
            continue
        line_text = lines[tok.start[0] - 1]
        excluded = rel in NOT_CLINICAL_FILES or bool(NOT_CLINICAL_LINES.search(line_text))
        if tok.type == tokenize.OP and tok.string in ("==", "!=") and ".time" in line_text:
            # Two readings paired by their time (a systolic with its diastolic): an equal
            # time that becomes "not after" or "not before" pairs a stale reading.
            for new in ("<=", ">=", "!=" if tok.string == "==" else "=="):
                found.append(
                    Mutant(
                        rel,
                        tok.start[0],
                        tok.start[1],
                        tok.string,
                        new,
                        "comparison",
                        not excluded,
                        line_text.strip(),
                    )
                )
        elif tok.type == tokenize.OP and tok.string in COMPARE:
            found.append(
                Mutant(
                    rel,
                    tok.start[0],
                    tok.start[1],
                    tok.string,
                    COMPARE[tok.string],
                    "comparison",
                    not excluded,
                    line_text.strip(),
                )
            )
        elif tok.type == tokenize.NUMBER and not tok.string.endswith(("j", "J")):
            before = tokens[n - 1].string if n else ""
            after = tokens[n + 1].string if n + 1 < len(tokens) else ""
            # What an absent value counts as (`x.value or 0.0`, `table.get(word, 0)`): the
            # vocabulary and validation decide that no value is missing there, not a threshold.
            absent = before == "or" or (before == "," and after == ")" and tok.string in ZEROS)
            clinical = not absent and not excluded and not NOT_CLINICAL.search(line_text)
            if not clinical and not all_numbers:
                continue
            for sign in (1, -1):
                new = _moved(tok.string, sign)
                if new.startswith("-"):
                    continue  # a count or limit below zero means nothing
                found.append(
                    Mutant(
                        rel,
                        tok.start[0],
                        tok.start[1],
                        tok.string,
                        new,
                        "number",
                        clinical,
                        line_text.strip(),
                    )
                )
    return found


def apply(source: str, m: Mutant) -> str:
    lines = source.splitlines(keepends=True)
    text = lines[m.line - 1]
    assert text[m.col : m.col + len(m.old)] == m.old, (m, text)
    # "<" next to "=" would read as "<=": the token is replaced whole, so it cannot.
    lines[m.line - 1] = text[: m.col] + m.new + text[m.col + len(m.old) :]
    return "".join(lines)


def run_tests(copy: Path, tests: list[str], timeout: float) -> str:
    """'killed', 'survived' or 'timeout' (a mutant that hangs the tests is noticed).

    The tests run in a child forked from this process, which has imported pytest, Qt and
    the other libraries once but never crs_desktop: each child imports the (mutated) copy
    afresh, and a run costs the tests, not a second of start-up."""
    paths = [f"tests/{t}" for t in tests if (copy / "tests" / t).exists()]
    argv = [
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "--basetemp",
        str(copy / ".pt"),
        *paths,
    ]
    child = os.fork()
    if child == 0:  # the child: quiet, run, and leave without cleaning up the parent's things
        if not os.environ.get("MUTATE_VERBOSE"):
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.dup2(null, 2)
        try:
            import pytest

            code = int(pytest.main(argv))
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 99
        os._exit(code)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            return "survived" if os.waitstatus_to_exitcode(status) == 0 else "killed"
        if time.monotonic() > deadline:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            return "timeout"
        time.sleep(0.02)


def _prepare(copy: Path) -> None:
    """Import the libraries the tests use, not crs_desktop, with the copy first on the path."""
    os.environ.update(QT_QPA_PLATFORM="offscreen", PYTHONDONTWRITEBYTECODE="1")
    sys.dont_write_bytecode = True  # a mutant must never be read back from a stale .pyc
    os.chdir(copy)
    sys.path.insert(0, str(copy))
    import numpy  # noqa: F401
    import pyqtgraph  # noqa: F401
    import sqlite_utils  # noqa: F401
    from PySide6 import QtCore, QtGui, QtWidgets  # noqa: F401


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", nargs="*", default=DEFAULT_FILES, help="under domain/")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per mutant")
    parser.add_argument("--all", action="store_true", help="mutate non-clinical numbers too")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--lines", nargs="*", help="only mutants on these file:line")
    args = parser.parse_args()
    unknown = [f for f in args.files if f not in TESTS]
    if unknown:
        parser.error(f"--files {unknown}: allowed {', '.join(TESTS)}")
    mutants = [m for rel in args.files for m in mutants_of(rel, args.all)]
    if args.lines:
        mutants = [m for m in mutants if m.where in args.lines]
    if args.list:
        for m in mutants:
            kind = m.kind if m.clinical else f"{m.kind}, not clinical"
            print(f"{m.where}  {m.old} -> {m.new}  [{kind}]  {m.source}")
        print(f"{len(mutants)} mutants")
        return 0
    started = time.monotonic()
    results: list[tuple[Mutant, str]] = []
    with tempfile.TemporaryDirectory(prefix="mutate-domain-") as temp:
        copy = Path(temp)
        for part in ("crs_desktop", "tests", "resources"):
            shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
        _prepare(copy)
        # The unmutated code must pass, or every mutant would look killed.
        for rel in args.files:
            if run_tests(copy, TESTS[rel], args.timeout) != "survived":
                print(json.dumps({"error": f"tests for {rel} fail without any mutant"}))
                return 1
        for n, m in enumerate(mutants, 1):
            target = copy / "crs_desktop" / "domain" / m.file
            original = target.read_text(encoding="utf-8")
            target.write_text(apply(original, m), encoding="utf-8")
            try:
                outcome = run_tests(copy, TESTS[m.file], args.timeout)
            finally:
                target.write_text(original, encoding="utf-8")
            results.append((m, outcome))
            print(
                f"[{n}/{len(mutants)}] {outcome:8} {m.where} {m.old} -> {m.new}",
                file=sys.stderr,
                flush=True,
            )

    def rate(chosen: list[tuple[Mutant, str]]) -> dict[str, object]:
        killed = sum(1 for _m, o in chosen if o != "survived")
        return {
            "mutants": len(chosen),
            "killed": killed,
            "kill_rate": round(killed / len(chosen), 4) if chosen else None,
        }

    clinical = [r for r in results if r[0].clinical]
    survivors = [m for m, o in results if o == "survived"]
    print(
        json.dumps(
            {
                "files": args.files,
                "all": rate(results),
                "clinical": rate(clinical),
                "comparisons": rate([r for r in results if r[0].kind == "comparison"]),
                "numbers": rate([r for r in results if r[0].kind == "number"]),
                "timeouts": sum(1 for _m, o in results if o == "timeout"),
                "seconds": round(time.monotonic() - started),
            }
        )
    )
    for m in survivors:
        print(f"survived {m.where}  {m.old} -> {m.new}  [{m.kind}]  {m.source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
