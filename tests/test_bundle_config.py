"""The ward PC install's configuration, checked without building it (the build and its smoke
test run in .ci/run: build/bundle.py, build/smoke_test.py)."""

from __future__ import annotations

import configparser
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_builds_and_smoke_tests_the_bundle_after_the_tests_unless_skipped():
    ci = (ROOT / ".ci" / "run").read_text()
    tests_at = ci.index(".venv/bin/python -m pytest")
    build_at = ci.index(".venv/bin/python build/bundle.py")
    smoke_at = ci.index(".venv/bin/python build/smoke_test.py")
    assert tests_at < build_at < smoke_at
    assert 'pip install ".[build]"' in ci
    assert re.search(r'if \[ "\$\{CRS_DESKTOP_SKIP_BUNDLE:-0\}" = "1" \]; then', ci)


def test_pyinstaller_is_a_build_extra_never_a_run_time_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(r.startswith("pyinstaller") for r in project["optional-dependencies"]["build"])
    assert not any("pyinstaller" in r.lower() for r in project["dependencies"])


def test_the_bundle_is_built_from_a_committed_spec_with_work_files_outside_build():
    spec = (ROOT / "build" / "crs-desktop.spec").read_text()
    assert 'collect_submodules("crs_desktop")' in spec  # the commands cli.py loads by name
    bundle = (ROOT / "build" / "bundle.py").read_text()
    assert 'dist / ".work"' in bundle
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "/dist/" in ignored


def test_the_launcher_runs_the_command_on_the_path_with_the_shipped_icon():
    desktop = configparser.ConfigParser(interpolation=None)
    desktop.optionxform = str  # keys are case-sensitive
    desktop.read(ROOT / "resources" / "crs-desktop.desktop", encoding="utf-8")
    entry = desktop["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "crs-desktop"
    assert entry["Terminal"] == "false"
    icons = ROOT / "resources" / "icons"
    assert (icons / f"{entry['Icon']}.svg").is_file()
    png = (icons / f"{entry['Icon']}.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[16:20], "big") == int.from_bytes(png[20:24], "big") == 256
