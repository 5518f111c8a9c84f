"""Smoke test of the ward PC install that build/bundle.py made (dist/crs-desktop, dist/*.deb).

    python build/smoke_test.py [--dist DIR] [--no-deb]

Run with the venv's Python (the one the tests use): it is the reference the bundle is
compared with. Checks, each printed as it passes; the first failure stops it (exit 1):
- every command's --help runs from the bundle (a module left out of it shows here);
- demo, export, import, patients and grade work from the bundle, and grade of the exported
  chart gives byte for byte the JSON the venv gives;
- handover writes a PDF that pdftotext reads; fhir export (once that command exists) writes a
  FHIR Bundle, its models loaded by name from the bundle;
- the window starts offscreen (and on Xvfb with the xcb platform, if xvfb-run is here),
  shows the demo patient and quits cleanly;
- the user data folder then holds the chart and nothing else;
- as root with apt-get: the .deb installs with `apt-get install ./dist/<the .deb>`,
  `crs-desktop` runs from the PATH (--help, grade), then the package is purged again.
Every bundle command runs with a HOME of its own and, where `unshare -n` works (root), with
no network at all: nothing may be downloaded at run time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout's crs_desktop: its commands, as the bundle has them

from crs_desktop.cli import SUBCOMMANDS  # noqa: E402

NAME = "crs-desktop"
DEMO_NOW = "2025-11-23T08:00"  # a fixed chart: the same on every run
HANDOVER = ("--from", "2025-11-22T20:00", "--to", "2025-11-23T08:00")
TIMEOUT = 180


class SmokeFailure(Exception):
    pass


class Runner:
    """Runs one program (the bundle's, the venv's, the installed one) in a scratch HOME."""

    def __init__(self, home: Path, no_network: bool) -> None:
        self.home = home
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("XDG_", "CRS_DESKTOP_", "QT_")) and key != "DISPLAY"
        }
        # A fixed zone: grade words times with their offset, the same in both programs.
        self.env.update(HOME=str(home), TZ="UTC", LC_ALL="C.UTF-8", QT_QPA_PLATFORM="offscreen")
        self.prefix = ["unshare", "--net", "--"] if no_network else []

    def run(self, command: list[str], *, check: bool = True, **env: str) -> str:
        full = self.prefix + command
        done = subprocess.run(
            full,
            env={**self.env, **env},
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        if "Traceback" in done.stderr or (check and done.returncode != 0):
            raise SmokeFailure(
                f"{' '.join(command)} exited {done.returncode}\n"
                f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
            )
        return done.stdout


def passed(what: str) -> None:
    print(f"smoke: ok  {what}", flush=True)


def can_unshare() -> bool:
    try:
        return subprocess.run(["unshare", "--net", "--", "true"], timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def check_help(runner: Runner, program: list[str]) -> None:
    out = runner.run([*program, "--help"])
    if not out.startswith(f"usage: {NAME}"):
        raise SmokeFailure(f"--help printed no usage:\n{out}")
    for command in SUBCOMMANDS:
        out = runner.run([*program, command, "--help"])
        if not out.startswith(f"usage: {NAME} {command}"):
            raise SmokeFailure(f"{command} --help printed no usage:\n{out}")
    passed(f"--help of the window and of {len(SUBCOMMANDS)} commands: {', '.join(SUBCOMMANDS)}")


def check_commands(runner: Runner, bundle: list[str], venv: Runner, work: Path) -> tuple[Path, str]:
    """The demo charted by the bundle, exported, imported again and graded by both."""
    runner.run([*bundle, "demo", "--now", DEMO_NOW])
    chart = work / "demo.csv"
    runner.run([*bundle, "export", "--patient", "DEMO-001", "-o", str(chart)])
    runner.run([*bundle, "import", str(chart), "--patient", "SMOKE-2", "--name", "Smoke, Two"])
    listed = runner.run([*bundle, "patients"])
    if "DEMO-001" not in listed or "SMOKE-2" not in listed:
        raise SmokeFailure(f"patients lists:\n{listed}")
    passed("demo, export, import and patients from the bundle")
    frozen = runner.run([*bundle, "grade", str(chart), "--json"])
    reference = venv.run([sys.executable, "-m", "crs_desktop", "grade", str(chart), "--json"])
    if frozen != reference:
        raise SmokeFailure("grade --json differs between the bundle and the venv")
    lines = frozen.splitlines()
    last = json.loads(lines[-1])["astct_crs"]
    passed(
        f"grade --json of the demo chart: {len(lines)} lines, the same as the venv's "
        f"(ASTCT 2019 CRS max {last['max']})"
    )
    return chart, reference


def check_handover(runner: Runner, bundle: list[str], work: Path) -> None:
    pdf = work / "handover.pdf"
    runner.run([*bundle, "handover", "--patient", "DEMO-001", *HANDOVER, "-o", str(pdf)])
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for words in ("CRS / ICANS shift handover", "DEMO-001", "ASTCT"):
        if words not in text:
            raise SmokeFailure(f"the handover PDF does not say {words!r}:\n{text[:2000]}")
    passed(f"handover PDF read by pdftotext ({pdf.stat().st_size // 1024} KiB)")
    # The handover keeps a grade checkpoint only where it can tell the grading rules that
    # made it (their source, shipped beside the bytecode by the spec): without one, every
    # handover from the bundle would grade the whole chart.
    chart = runner.home / ".local/share/crs-desktop/chart.sqlite3"
    with contextlib.closing(sqlite3.connect(chart)) as conn:
        kept = conn.execute("SELECT count(*) FROM grade_checkpoints").fetchone()[0]
    if not kept:
        raise SmokeFailure("the bundled handover kept no grade checkpoint (rules not found)")
    passed(f"handover kept {kept} grade checkpoint(s) for the next one")


def check_fhir(runner: Runner, bundle: list[str], work: Path) -> None:
    """fhir.resources loads its models by name, which --help does not reach: write a Bundle."""
    if "fhir" not in SUBCOMMANDS:
        return
    out = work / "demo-fhir.json"
    runner.run([*bundle, "fhir", "export", "--patient", "DEMO-001", "-o", str(out)])
    bundle_json = json.loads(out.read_text(encoding="utf-8"))
    if bundle_json.get("resourceType") != "Bundle" or not bundle_json.get("entry"):
        raise SmokeFailure(f"fhir export wrote no Bundle: {str(bundle_json)[:500]}")
    passed(f"fhir export: a FHIR Bundle of {len(bundle_json['entry'])} resources")


def check_window(runner: Runner, bundle: list[str]) -> None:
    window = [*bundle, "--patient", "DEMO-001", "--nurse", "Smoke"]
    window += ["--quit-after-ms", "0", "--report-start-up"]
    out = runner.run(window)
    if '"shown_at"' not in out:
        raise SmokeFailure(f"the window did not report being shown:\n{out}")
    passed("window offscreen: shown with the demo patient, quit cleanly (exit 0)")
    if shutil.which("xvfb-run") is None:
        print("smoke: --  no xvfb-run here: the window on X (xcb) not tried")
        return
    # The platform a ward PC uses: X11 through the bundle's xcb plugin and the system libraries.
    out = runner.run(["xvfb-run", "-a", *window], QT_QPA_PLATFORM="xcb")
    if '"shown_at"' not in out:
        raise SmokeFailure(f"the window on Xvfb did not report being shown:\n{out}")
    passed("window on Xvfb (xcb): shown, quit cleanly (exit 0)")


def check_data_folder(home: Path) -> None:
    """The default store's folder (platformdirs' user data folder) holds the chart only."""
    folder = home / ".local" / "share" / NAME
    kept = sorted(p.name for p in folder.iterdir())
    allowed = {"chart.sqlite3", "chart.sqlite3-wal", "chart.sqlite3-shm"}
    if not kept or not set(kept) <= allowed:
        raise SmokeFailure(f"the user data folder {folder} holds {kept}: only the chart belongs")
    others = sorted(
        str(p.relative_to(home))
        for p in home.rglob("*")
        if p.is_file() and not p.is_relative_to(folder) and p.parent != home
    )
    passed(
        f"user data folder holds {', '.join(kept)}"
        + (f" (elsewhere in HOME, not the app's: {', '.join(others[:5])})" if others else "")
    )


def check_deb(runner: Runner, deb: Path, chart: Path, reference: str) -> None:
    listing = subprocess.run(
        ["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    for path in (
        f"./opt/{NAME}/{NAME}",
        f"./usr/bin/{NAME}",
        f"./usr/share/applications/{NAME}.desktop",
        f"./usr/share/icons/hicolor/scalable/apps/{NAME}.svg",
    ):
        if path not in listing:
            raise SmokeFailure(f"{deb.name} does not hold {path}")
    private = [line for line in listing.splitlines() if line[7] != "r" or "root/root" not in line]
    if private:
        raise SmokeFailure(
            f"{deb.name} holds files not root's or not readable by all: {private[:3]}"
        )
    passed(
        f"{deb.name} holds the bundle, the command, the launcher and the icon, all root's, "
        "readable by every account"
    )
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print("smoke: --  not root with apt-get: the .deb is not installed here")
        return
    if subprocess.run(["dpkg", "-s", NAME], capture_output=True).returncode == 0:
        print(f"smoke: --  {NAME} is installed on this machine already: left as it is")
        return
    apt_env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", str(deb)],
        env=apt_env,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=600,
    )
    try:
        installed = shutil.which(NAME, path="/usr/local/bin:/usr/bin:/bin")
        if installed != f"/usr/bin/{NAME}":
            raise SmokeFailure(f"after apt-get install, {NAME} on the PATH is {installed}")
        out = runner.run([NAME, "--help"])  # found on the PATH, as a nurse's shortcut finds it
        if not out.startswith(f"usage: {NAME}"):
            raise SmokeFailure(f"the installed {NAME} --help printed:\n{out}")
        if shutil.which("runuser"):  # a nurse's account, not root: the files must be readable
            out = runner.run(["runuser", "-u", "nobody", "--", NAME, "--help"])
            if not out.startswith(f"usage: {NAME}"):
                raise SmokeFailure(f"{NAME} --help as user nobody printed:\n{out}")
        if runner.run([NAME, "grade", str(chart), "--json"]) != reference:
            raise SmokeFailure("the installed crs-desktop grades the chart otherwise")
        passed(
            f"apt-get install ./{deb.name}: {NAME} --help (as root and as nobody) and grade "
            "run from the PATH"
        )
    finally:
        subprocess.run(
            ["apt-get", "purge", "-y", "-qq", NAME],
            env=apt_env,
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=600,
        )
    if Path(f"/opt/{NAME}").exists() or Path(f"/usr/bin/{NAME}").exists():
        raise SmokeFailure("apt-get purge left files behind")
    passed(f"apt-get purge {NAME}: the machine is as it was")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--no-deb", action="store_true", help="test the folder only")
    args = parser.parse_args(argv)
    dist = args.dist.resolve()
    bundle = [str(dist / NAME / NAME)]
    debs = sorted(dist.glob(f"{NAME}_*.deb"))
    if not Path(bundle[0]).is_file() or (not args.no_deb and not debs):
        print(f"smoke: no bundle (and .deb) in {dist}: run build/bundle.py first", file=sys.stderr)
        return 1
    no_network = can_unshare()
    print(
        "smoke: bundle commands run "
        + (
            "without a network (unshare -n)"
            if no_network
            else "with the network (unshare -n not allowed)"
        )
    )
    with tempfile.TemporaryDirectory(prefix="crs-smoke-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        work = Path(tmp)
        runner = Runner(home, no_network)
        venv = Runner(home, no_network)  # the reference: this checkout in the venv's Python
        venv.env["PYTHONPATH"] = str(ROOT)
        passed = 0
        try:
            check_help(runner, bundle)
            passed += 1
            chart, reference = check_commands(runner, bundle, venv, work)
            passed += 1
            check_handover(runner, bundle, work)
            passed += 1
            check_fhir(runner, bundle, work)
            passed += 1
            check_window(runner, bundle)
            passed += 1
            check_data_folder(home)
            passed += 1
            if not args.no_deb:
                check_deb(runner, debs[-1], chart, reference)
                passed += 1
        except (SmokeFailure, subprocess.SubprocessError) as exc:
            print(f"smoke: FAILED {exc}", file=sys.stderr)
            print(f"smoke: {passed} passed, 1 failed")
            return 1
    # The closing line in the plain form CI reads after the test suite's own.
    print(f"smoke: {passed} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
