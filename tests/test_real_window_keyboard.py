"""The real app in a real X window (Xvfb, QT_QPA_PLATFORM=xcb), typed at through xdotool as a
nurse types: F2, then `37.2 Tab 120 Tab 80 Tab 88 Enter`. The store must hold what was typed
where it was typed (issue 13: Tab once went into the °C/°F box, and the same keys charted a
systolic of 80 and a diastolic of 88).

Nothing here is simulated inside Qt: the keys go through the X server, the window manager-less
focus and Qt's own key handling; the values are read back from the SQLite file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from crs_desktop.store import ChartStore

MRN = "MRN-X"
NURSE = "RN Keys"

# CI installs these (.ci/run); a machine without them cannot run this test at all, and says
# so by failing, not by skipping: the keyboard path is the one that charted wrong values.
TOOLS = ("Xvfb", "xdotool")


def _wait_until(done: Callable[[], object], timeout: float, what: str) -> object:
    """Poll `done` (a read of another process's state) until it is true, or fail naming what."""
    deadline = time.monotonic() + timeout
    while True:
        result = done()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)  # another process: there is no Qt signal to wait on


@pytest.fixture
def display(tmp_path: Path) -> Iterator[str]:
    """A private Xvfb display at a ward screen's size; its number chosen by the server."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    assert not missing, f"not installed: {', '.join(missing)} (.ci/run installs them)"
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()  # written once the server is ready
    assert number, "Xvfb did not start"
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    path = tmp_path / "chart.sqlite3"
    store = ChartStore(path)
    store.create_patient(MRN, "Keys, Kim", actor="setup", weight_kg=70.0)
    store.close()
    return path


def _xdotool(display: str, *args: str) -> str:
    done = subprocess.run(
        ["xdotool", *args],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.strip()


def _focus_window(display: str, title: str) -> None:
    """Wait for a window whose title starts with `title`, and give it the keyboard (there is
    no window manager on the display to do it)."""
    window = _xdotool(display, "search", "--sync", "--onlyvisible", "--name", f"^{title}")
    _xdotool(display, "windowfocus", "--sync", window.splitlines()[0])


def _rows(path: Path) -> dict[str, tuple[str, str]]:
    """The patient's charted values: item -> (value as written, note)."""
    store = ChartStore(path)
    try:
        patient = store.patient(MRN)
        assert patient is not None
        return {r.item: (r.written_value, r.note) for r in store.rows(patient.id)}
    finally:
        store.close()


@contextmanager
def _app(display: str, chart: Path, home: Path) -> Iterator[None]:
    """The real app (`python -m crs_desktop`) on the display, open on the patient; ended
    afterwards, and its output checked for a traceback."""
    env = {
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "HOME": str(home),  # the app's settings and caches, not the user's
        "XDG_RUNTIME_DIR": str(home),
    }
    command = [sys.executable, "-m", "crs_desktop", "--db", str(chart)]
    command += ["--patient", MRN, "--nurse", NURSE]
    app = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _focus_window(display, "crs_desktop: Keys")
        yield
    finally:
        app.terminate()
        output = app.communicate(timeout=30)[0].decode(errors="replace")
    assert "Traceback" not in output, output


def _type(display: str, *keys: str) -> None:
    """Keys as xdotool names them ("Tab", "F4", "alt+r"); text is anything with a digit or
    a lower-case word of more than one letter ("37.2", "asleep")."""
    for keys_ in keys:
        if keys_[0].isdigit() or (keys_.isalpha() and keys_.islower() and len(keys_) > 1):
            _xdotool(display, "type", "--delay", "20", keys_)
        else:
            _xdotool(display, "key", keys_)


def test_tab_through_the_vitals_in_a_real_window_charts_each_value_where_it_was_typed(
    display, chart, tmp_path
):
    with _app(display, chart, tmp_path):
        _type(display, "F2")
        _focus_window(display, "Chart observations")
        _type(display, "37.2", "Tab", "120", "Tab", "80", "Tab", "88", "Return")
        # Respiratory rate, SpO2, ACVPU and the oxygen were not typed: the form asks for
        # them (REFERENCE.md §1.3a item 6), and nothing is charted until it is answered.
        # The answer by keyboard: Alt+R to the reason, "asleep", Enter.
        _type(display, "alt+r", "asleep", "Return")
        rows = _wait_until(lambda: _rows(chart), 30, "the values to be charted")
    assert isinstance(rows, dict)
    assert {item: value for item, (value, _) in rows.items()} == {
        "temperature": "37.2",
        "systolic_bp": "120",
        "diastolic_bp": "80",
        "heart_rate": "88",
    }
    [note] = {note for _, note in rows.values()}
    assert "asleep" in note and "respiratory rate" in note


def test_a_whole_news2_set_in_fahrenheit_by_keyboard_in_a_real_window(display, chart, tmp_path):
    """F4 from the temperature to its unit (Down: °F), Tab on to the systolic; the seven
    NEWS2 parameters typed, so nothing is asked."""
    with _app(display, chart, tmp_path):
        _type(display, "F2")
        _focus_window(display, "Chart observations")
        _type(display, "101.3", "F4", "Down", "Tab", "120", "Tab", "80", "Tab", "88")
        _type(display, "Tab", "16", "Tab", "97", "Tab", "A", "Tab", "r", "Return")
        rows = _wait_until(lambda: _rows(chart), 30, "the values to be charted")
    assert rows == {
        "temperature": ("101.3", ""),
        "systolic_bp": ("120", ""),
        "diastolic_bp": ("80", ""),
        "heart_rate": ("88", ""),
        "resp_rate": ("16", ""),
        "spo2": ("97", ""),
        "acvpu": ("A", ""),
        "o2_device": ("room_air", ""),
    }
    store = ChartStore(chart)
    try:
        [temperature] = store.rows(store.patient(MRN).id, items=["temperature"])
    finally:
        store.close()
    assert temperature.written_unit == "[degF]" and round(temperature.value, 1) == 38.5
