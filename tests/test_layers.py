"""The layers of DESIGN.md: domain uses nothing of the project; store and interop no Qt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "crs_desktop"

# Importing these must not load Qt (nor, for domain, any other layer).
NO_QT = ["crs_desktop.domain", "crs_desktop.store", "crs_desktop.interop"]


def modules_of(package: str) -> list[str]:
    folder = ROOT / package.replace(".", "/")
    return sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in folder.rglob("*.py")
    )


@pytest.mark.parametrize("package", NO_QT)
def test_lower_layers_import_without_qt(package):
    probe = f"""
import importlib, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6"):
            raise ImportError("Qt is blocked in " + {package!r})
sys.meta_path.insert(0, Block())
for name in {modules_of(package)!r}:
    importlib.import_module(name)
"""
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_domain_imports_nothing_of_the_project_outside_domain():
    offenders = []
    for path in (PACKAGE / "domain").rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith(
                ("import crs_desktop", "from crs_desktop")
            ) and not stripped.startswith(("from crs_desktop.domain", "import crs_desktop.domain")):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {stripped}")
    assert not offenders


def test_store_and_interop_do_not_import_ui_or_report():
    offenders = []
    for layer in ("store", "interop"):
        for path in (PACKAGE / layer).rglob("*.py"):
            text = path.read_text()
            for banned in ("crs_desktop.ui", "crs_desktop.report"):
                if banned in text:
                    offenders.append(f"{path.relative_to(ROOT)} uses {banned}")
    assert not offenders


def test_every_package_is_listed_for_the_wheel():
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in PACKAGE.rglob("__init__.py")}
    assert found - listed == set(), "add these packages to pyproject.toml"
    assert "crs_desktop.resources" in listed


def test_ci_runs_the_readme_test_command_as_written():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = (
        'python3 -m venv .venv && .venv/bin/pip install ".[test]" && .venv/bin/python -m pytest'
    )
    assert command in readme and command in ci
