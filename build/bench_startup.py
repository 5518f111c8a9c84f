"""Start-up of the bundled window against the venv's, side by side on one Xvfb display.

    python build/bench_startup.py [--runs 7] [--dist DIR]

Both open the demo patient (charted once, at a fixed time) with the X11 (xcb) platform a ward
PC uses, and are timed the same way as tests/perf/bench_window.py: from just before the
process is started to the moment the window has painted (`--report-start-up`, then
`--quit-after-ms 0`). Runs alternate, after one warm-up each, so drift on the machine hits
both. Prints one JSON line: the medians, their ratio against the ceiling (1.2), and the
sizes and build time that build/bundle.py wrote to dist/bundle-info.json (ceiling 300 MB).
Needs a bundle (python build/bundle.py) and xvfb-run, unless DISPLAY is set.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RATIO_CEILING = 1.2
BUNDLE_MB_CEILING = 300
DEMO_NOW = "2025-11-23T08:00"
UNDER_XVFB = "CRS_DESKTOP_BENCH_UNDER_XVFB"


def started_to_shown(command: list[str], env: dict[str, str]) -> float:
    started = time.time()
    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=True)
    shown = next(json.loads(line) for line in out.stdout.splitlines() if '"shown_at"' in line)
    return float(shown["shown_at"]) - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY") and not os.environ.get(UNDER_XVFB):
        if shutil.which("xvfb-run") is None:
            print("bench_startup: needs DISPLAY or xvfb-run", file=sys.stderr)
            return 1
        env = dict(os.environ, **{UNDER_XVFB: "1"})
        return subprocess.run(["xvfb-run", "-a", sys.executable, *sys.argv], env=env).returncode
    dist = args.dist.resolve()
    bundle = dist / "crs-desktop" / "crs-desktop"
    if not bundle.is_file():
        print(f"bench_startup: no bundle in {dist}: run build/bundle.py first", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="crs-bench-") as tmp:
        db = Path(tmp) / "chart.sqlite3"
        env = dict(os.environ, HOME=tmp, QT_QPA_PLATFORM="xcb", PYTHONPATH=str(ROOT))
        venv = [sys.executable, "-m", "crs_desktop"]
        subprocess.run(
            [*venv, "demo", "--now", DEMO_NOW, "--db", str(db)],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        window = ["--db", str(db), "--patient", "DEMO-001", "--nurse", "bench"]
        window += ["--quit-after-ms", "0", "--report-start-up"]
        commands = {"bundle": [str(bundle), *window], "venv": [*venv, *window]}
        times: dict[str, list[float]] = {"bundle": [], "venv": []}
        for command in commands.values():  # warm-up: the files into the page cache
            started_to_shown(command, env)
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(started_to_shown(command, env))
    bundle_s = statistics.median(times["bundle"])
    venv_s = statistics.median(times["venv"])
    figures: dict[str, object] = {
        "runs": args.runs,
        "bundle_start_s_median": round(bundle_s, 3),
        "venv_start_s_median": round(venv_s, 3),
        "start_ratio": round(bundle_s / venv_s, 2),
        "start_ratio_ceiling": RATIO_CEILING,
        "bundle_mb_ceiling": BUNDLE_MB_CEILING,
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    info_path = dist / "bundle-info.json"
    if info_path.is_file():
        info = json.loads(info_path.read_text(encoding="utf-8"))
        for key in ("bundle_mb", "deb_mb", "bundle_build_s", "deb_build_s", "build_s"):
            if key in info:
                figures[key] = info[key]
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
