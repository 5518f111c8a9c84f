"""The layers of DESIGN.md, enforced: the import-linter contracts in pyproject.toml
(each layer imports only from those below it; store and interop never each other;
no Qt below the window), and the lower layers imported for real without Qt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "crs_desktop"

# Importing these must not load Qt (nor, for domain, any other layer).
NO_QT = ["crs_desktop.domain", "crs_desktop.store", "crs_desktop.interop", "crs_desktop.app"]


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


def test_the_import_contracts_in_pyproject_are_kept():
    """`lint-imports` reads every import (those inside functions too): a layer importing
    from one above it, store and interop importing each other, or Qt below the window
    breaks a contract and this test names the chain."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from importlinter.cli import lint_imports_command as c; c()",
            "--no-cache",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.stdout.count(" KEPT") == 2, result.stdout + result.stderr
    assert result.returncode == 0, result.stdout + result.stderr


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
