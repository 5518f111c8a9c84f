"""`crs-desktop` and its subcommands.

Each subcommand lives in `crs_desktop/commands/<name>.py` with
`add_arguments(parser)` and `run(args) -> int`. They are imported only when
chosen, so `crs-desktop grade` never loads Qt and the window starts quickly.
Without a subcommand the window opens.

`entry_point()` is the program (`crs-desktop`, `python -m crs_desktop`): `main()`
with a last resort, so that no traceback ever reaches a nurse. A user's mistake or a
fault of the disk is a one-line UserError from main() itself; anything else is a bug,
said in one line, its traceback printed only with CRS_DESKTOP_DEBUG=1. main() lets
bugs through, so that the tests (which call it) see them.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from crs_desktop.commands.errors import UsageError  # noqa: F401 (importable from here too)
from crs_desktop.domain.errors import UserError

# name -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "import": ("crs_desktop.commands.import_chart", "import a chart CSV into the store"),
    "export": ("crs_desktop.commands.export_chart", "export a patient's chart as CSV"),
    "demo": ("crs_desktop.commands.demo", "create (or reset) the demo patient; --live streams it"),
    "grade": ("crs_desktop.commands.grade", "grade a chart CSV without touching any store"),
    "handover": ("crs_desktop.commands.handover", "write the handover summary PDF"),
    "patients": ("crs_desktop.commands.patients", "list the patients in the chart store"),
    "migrate": ("crs_desktop.commands.migrate", "move a chart file to the ward server"),
    "listen": ("crs_desktop.commands.listen", "receive HL7 v2 results over MLLP and chart them"),
    "fhir": ("crs_desktop.commands.fhir", "export or import a chart as a FHIR R4 Bundle"),
}
DEBUG_ENV = "CRS_DESKTOP_DEBUG"
WINDOW_MODULE = "crs_desktop.commands.window"


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crs-desktop",
        description="Bedside CRS tracking for nurses. Without a command, opens the window.",
    )
    window = importlib.import_module(WINDOW_MODULE)
    window.add_arguments(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text) in SUBCOMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    # Find the subcommand (the first word that names one) without importing them all.
    chosen = next((a for a in args_list if a in SUBCOMMANDS), None)
    try:
        if chosen is None:
            parser = _build_parser()
            args = parser.parse_args(args_list)
            module = importlib.import_module(WINDOW_MODULE)
        else:
            module_name, help_text = SUBCOMMANDS[chosen]
            module = importlib.import_module(module_name)
            parser = argparse.ArgumentParser(prog=f"crs-desktop {chosen}", description=help_text)
            module.add_arguments(parser)
            index = args_list.index(chosen)
            args = parser.parse_args(args_list[:index] + args_list[index + 1 :])
        return int(module.run(args) or 0)
    except UserError as exc:
        print(f"crs-desktop: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # whoever read our output (e.g. `| head`) went away
        from crs_desktop.commands.output import silence_stdout

        silence_stdout()
        print("crs-desktop: the output was closed before everything was written", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def entry_point() -> int:
    """`crs-desktop`: main(), and an unexpected error in one line instead of a traceback."""
    try:
        return main()
    except Exception as exc:  # a bug: the user is told plainly; the details on request
        if os.environ.get(DEBUG_ENV, "").strip() not in ("", "0"):
            traceback.print_exc()
        print(
            f"crs-desktop: an unexpected error stopped this command ({type(exc).__name__}); "
            f"nothing more was done. Run it again with {DEBUG_ENV}=1 for the details to report",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(entry_point())
