"""Shared test set-up: Qt offscreen unless --onscreen is given."""

from __future__ import annotations

import os


def pytest_addoption(parser):
    parser.addoption("--onscreen", action="store_true", help="show Qt windows on a real display")


def pytest_configure(config):
    if not config.getoption("--onscreen"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
