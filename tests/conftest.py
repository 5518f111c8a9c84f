"""Shared test set-up: Qt offscreen unless --onscreen is given; the demo at a fixed time."""

from __future__ import annotations

import os
import time

import pytest

# Every test that charts the demo places its last value here, not at the wall clock: the
# handover's "Day +N", the current shift and "today" then read the same at any time of day.
# A local wall time (no offset), so the demo's day numbers are the same in every time zone;
# in the past of any clock the suite runs at (the store refuses future observations).
DEMO_NOW = "2025-11-23T08:00"


def pytest_addoption(parser):
    parser.addoption("--onscreen", action="store_true", help="show Qt windows on a real display")


def pytest_configure(config):
    if not config.getoption("--onscreen"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    # A command run as its own process shows a bug's traceback (cli.entry_point prints one
    # line for a user): a test that expects no traceback then fails on the bug.
    os.environ.setdefault("CRS_DESKTOP_DEBUG", "1")


@pytest.fixture(autouse=True)
def _zone_follows_the_environment():
    """After each test, the C library's zone is TZ again. A test that sets TZ and calls
    time.tzset() has its TZ restored by monkeypatch, but not re-applied: without this,
    every later test (and the DEMO_NOW of the next) would run in that test's zone."""
    yield
    time.tzset()


@pytest.fixture
def demo_now() -> float:
    """DEMO_NOW as epoch seconds in this run's time zone: the demo's "now"."""
    from crs_desktop.interop.chart_csv import parse_time

    return parse_time(DEMO_NOW)[0]


@pytest.fixture
def chart_demo():
    """chart_demo(db, hour=62): `crs-desktop demo` up to `hour`, its last value at DEMO_NOW."""
    from crs_desktop.cli import main

    def chart(db, hour: float | None = None) -> None:
        argv = ["demo", "--db", str(db), "--now", DEMO_NOW]
        if hour is not None:
            argv += ["--until-hour", f"{hour:g}"]
        assert main(argv) == 0

    return chart


@pytest.fixture
def themed(qapp):
    """The app's own large type and style (as `crs-desktop` starts), put back afterwards."""
    from crs_desktop.ui import theme  # Qt: only for the tests that ask for it

    font, sheet = qapp.font(), qapp.styleSheet()
    theme.apply_theme(qapp)
    yield qapp
    qapp.setFont(font)
    qapp.setStyleSheet(sheet)


# -- the chart store on both back ends --------------------------------------------------
# A store test that takes `store_target` runs twice: on a SQLite file and on a database
# of a throwaway PostgreSQL cluster (tests/support/pg_cluster.py), the same test code.
# Without PostgreSQL's server installed the second is skipped, unless
# CRS_DESKTOP_REQUIRE_PG is set (.ci/run sets it: there it must run).


@pytest.fixture(scope="session")
def pg_cluster():
    from tests.support.pg_cluster import Cluster, server_bin

    if server_bin() is None:
        message = "PostgreSQL's server is not installed (Debian: apt-get install postgresql)"
        if os.environ.get("CRS_DESKTOP_REQUIRE_PG"):
            pytest.fail(message)
        pytest.skip(message)
    cluster = Cluster()
    yield cluster
    cluster.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request, tmp_path):
    """Where a new, empty chart store is: a file path, or a new database's address."""
    if request.param == "sqlite":
        return tmp_path / "chart.sqlite3"
    return request.getfixturevalue("pg_cluster").new_database()
