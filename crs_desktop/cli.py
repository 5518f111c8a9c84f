"""`crs-desktop` and its subcommands.

Each subcommand lives in `crs_desktop/commands/<name>.py` with
`add_arguments(parser)` and `run(args) -> int`. They are imported only when
chosen, so `crs-desktop grade` never loads Qt and the window starts quickly.
Without a subcommand the window opens.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from crs_desktop.domain.errors import UserError

# name -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "import": ("crs_desktop.commands.import_chart", "import a chart CSV into the store"),
    "export": ("crs_desktop.commands.export_chart", "export a patient's chart as CSV"),
    "demo": ("crs_desktop.commands.demo", "create (or reset) the demo patient; --live streams it"),
    "grade": ("crs_desktop.commands.grade", "grade a chart CSV without touching any store"),
    "handover": ("crs_desktop.commands.handover", "write the handover summary PDF"),
}
WINDOW_MODULE = "crs_desktop.commands.window"


class UsageError(UserError):
    """A user's mistake on the command line: printed as one line, exit status 2."""


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
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
