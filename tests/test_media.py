"""Read-only and full media, output files and pipes: every refusal one clear line, the
chart left as it was, and the commands that only read (export, handover) still working.

The disks are real: a 4 MiB tmpfs mounted for the test, filled up or remounted
read-only (tests run as root in CI; elsewhere they are skipped). Root may write to
any file, so "read-only" here is a file or folder with no write bit at all, which
the store respects for every account.
"""

from __future__ import annotations

import errno
import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from crs_desktop.app.demo_course import DEMO_MRN
from crs_desktop.cli import main
from crs_desktop.store import ChartStore, StoreError

ROOT = Path(__file__).resolve().parent.parent
CSV = "time,item,value,unit,note\n2025-11-22T08:00:00Z,temperature,38.1,,\n"


@pytest.fixture(autouse=True)
def _qt(qapp):
    """`handover` draws with Qt: in this process that is pytest-qt's application."""
    return qapp


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows_of(db: Path) -> tuple[int, int]:
    """(patients, observations), read by SQLite directly: not through the code under test."""
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    try:
        count = "SELECT (SELECT count(*) FROM patients), (SELECT count(*) FROM observations)"
        return conn.execute(count).fetchone()
    finally:
        conn.close()


def closed_cleanly(db: Path) -> None:
    """As every command leaves it: the journal folded into the file and removed."""
    ChartStore(db).close()
    assert not Path(f"{db}-wal").exists()


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


def export(db: Path, out: Path | str, *extra: str) -> int:
    return main(["export", "--db", str(db), "--patient", DEMO_MRN, "-o", str(out), *extra])


def handover(db: Path, out: Path, *extra: str) -> int:
    return main(["handover", "--db", str(db), "--patient", DEMO_MRN, "-o", str(out), *extra])


def import_csv(db: Path, tmp_path: Path, mrn: str = "NEW-1") -> int:
    source = tmp_path / f"in-{mrn}.csv"
    source.write_text(CSV)
    return main(["import", str(source), "--db", str(db), "--patient", mrn])


class Disk:
    """A small tmpfs of its own."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def remount(self, mode: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{mode}", str(self.path)], check=True)

    def fill(self) -> None:
        """Write a file until the disk says it is full (ENOSPC), to the last block."""
        with open(self.path / "filler", "wb", buffering=0) as handle:
            for size in (1 << 16, 512, 1):
                try:
                    while True:
                        handle.write(b"\0" * size)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
        assert os.statvfs(self.path).f_bavail == 0


@pytest.fixture
def disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    path = tmp_path / "disk"
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(path)], check=True)
    yield Disk(path)
    subprocess.run(["umount", "-l", str(path)], check=True)


@pytest.fixture
def chart(tmp_path, chart_demo):
    db = tmp_path / "chart.sqlite3"
    chart_demo(db, 62)
    closed_cleanly(db)
    return db


# -- read-only ---------------------------------------------------------------------------


def test_a_read_only_chart_file_is_refused_named_and_keeps_its_mode(chart, tmp_path, capsys):
    chart.chmod(0o444)
    before, count = digest(chart), rows_of(chart)
    assert import_csv(chart, tmp_path) == 2
    assert "cannot be written: the chart file is read-only" in one_line(capsys)
    assert main(["demo", "--db", str(chart)]) == 2
    assert "the chart file is read-only" in one_line(capsys)
    with pytest.raises(StoreError, match="the chart file is read-only"):
        ChartStore(chart)
    assert stat.S_IMODE(chart.stat().st_mode) == 0o444  # never made writable behind one's back
    assert digest(chart) == before and rows_of(chart) == count
    # Reading it is fine.
    assert export(chart, tmp_path / "out.csv") == 0
    assert handover(chart, tmp_path / "out.pdf") == 0


def test_a_chart_in_a_read_only_folder_is_refused_named(tmp_path, chart_demo, capsys):
    folder = tmp_path / "ward"
    folder.mkdir()
    db = folder / "chart.sqlite3"
    chart_demo(db, 62)
    closed_cleanly(db)
    before = digest(db)
    folder.chmod(0o555)
    try:
        assert import_csv(db, tmp_path) == 2
        err = one_line(capsys)
        assert f"the folder {folder} is read-only" in err and "damaged" not in err
        assert export(db, tmp_path / "out.csv") == 0
    finally:
        folder.chmod(0o755)
    assert digest(db) == before


def test_export_and_handover_read_from_a_read_only_disk(disk, chart_demo, tmp_path, capsys):
    db = disk.path / "chart.sqlite3"
    chart_demo(db, 62)
    expected = tmp_path / "expected.csv"
    assert export(db, expected) == 0
    closed_cleanly(db)  # no journal files beside it: SQLite cannot make them on this disk
    before = digest(db)
    disk.remount("ro")
    capsys.readouterr()
    out = tmp_path / "out.csv"
    assert export(db, out) == 0 and out.read_bytes() == expected.read_bytes()
    assert handover(db, tmp_path / "out.pdf") == 0 and (tmp_path / "out.pdf").stat().st_size
    assert main(["patients", "--db", str(db)]) == 0
    assert DEMO_MRN in capsys.readouterr().out
    # Writing is refused with what is wrong: not "damaged".
    assert import_csv(db, tmp_path) == 2
    err = one_line(capsys)
    assert "the disk it is on is read-only" in err and "damaged" not in err
    assert main(["demo", "--db", str(disk.path / "new.sqlite3")]) == 2
    assert "read-only" in one_line(capsys)
    disk.remount("rw")
    assert digest(db) == before
    assert sorted(p.name for p in disk.path.iterdir()) == ["chart.sqlite3"]


def test_a_journal_that_cannot_be_read_on_a_read_only_disk_is_said(disk, chart_demo, capsys):
    db = disk.path / "chart.sqlite3"
    chart_demo(db, 5)
    # A writer killed before it folded its journal into the file: the -wal holds a
    # patient the file does not. Reading the file alone would miss it.
    crash = (
        "import os, sys; from crs_desktop.store import ChartStore; s = ChartStore(sys.argv[1]); "
        "s.conn.execute('PRAGMA wal_autocheckpoint = 0'); "
        "s.create_patient('LATE-1', 'Late, Lee', actor='RN A'); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", crash, str(db)], cwd=ROOT, check=True)
    assert Path(f"{db}-wal").stat().st_size > 0
    Path(f"{db}-shm").unlink()  # the index is rebuilt from the journal by the next writer
    disk.remount("ro")
    try:
        assert export(db, disk.path.parent / "out.csv") == 2
        err = one_line(capsys)
        assert "holds changes not yet in the file" in err and "Copy the file" in err
    finally:
        disk.remount("rw")
    with ChartStore(db) as store:  # nothing was lost: on a writable disk it is all there
        assert store.patient("LATE-1") is not None


# -- a full disk -------------------------------------------------------------------------


def test_a_full_disk_is_said_and_the_chart_is_left_as_it_was(disk, chart_demo, tmp_path, capsys):
    db = disk.path / "chart.sqlite3"
    chart_demo(db, 62)
    closed_cleanly(db)
    before, count = digest(db), rows_of(db)
    disk.fill()
    capsys.readouterr()
    assert import_csv(db, tmp_path) == 2
    err = one_line(capsys)
    assert "the disk is full" in err and "damaged" not in err
    # export and handover only read: they work, writing elsewhere.
    assert export(db, tmp_path / "out.csv") == 0
    assert handover(db, tmp_path / "out.pdf") == 0
    # An output onto the full disk: one line, no partial or temporary file.
    capsys.readouterr()
    assert export(db, disk.path / "out.csv") == 2
    assert "could not be written (the disk is full); no file was written" in one_line(capsys)
    assert handover(db, disk.path / "out.pdf") == 2
    assert "the disk is full" in one_line(capsys)
    # A new store that cannot be finished is not left half-made.
    assert main(["demo", "--db", str(disk.path / "new.sqlite3")]) == 2
    assert "could not be created (the disk is full)" in one_line(capsys)
    assert not [p for p in disk.path.iterdir() if p.name.startswith(("new", ".out"))]
    (disk.path / "filler").unlink()
    assert digest(db) == before and rows_of(db) == count
    with ChartStore(db) as store:
        assert store.patient("NEW-1") is None


# -- output files and pipes --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["export", "handover"])
def test_an_existing_output_is_kept_unless_forced_and_then_keeps_its_mode(
    chart, tmp_path, capsys, kind
):
    write = export if kind == "export" else handover
    out = tmp_path / ("out.csv" if kind == "export" else "out.pdf")
    out.write_text("the ward's own file\n")
    out.chmod(0o640)
    assert write(chart, out) == 2
    assert "the file exists; give another name, or --force to replace it" in one_line(capsys)
    assert out.read_text() == "the ward's own file\n"
    assert write(chart, out, "--force") == 0
    assert out.read_text(errors="replace") != "the ward's own file\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o640  # who could read it still can, no one else
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    fresh = tmp_path / ("new.csv" if kind == "export" else "new.pdf")
    assert write(chart, fresh) == 0
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600  # patient data: owner-only


def test_export_to_a_device_that_is_full_is_one_line(chart, tmp_path, capsys):
    # A node of its own for /dev/full (char 1,7): written into, never replaced.
    device = tmp_path / "full"
    os.mknod(device, stat.S_IFCHR | 0o600, os.makedev(1, 7))
    assert export(chart, device) == 2
    assert "-o '" in (err := one_line(capsys)) and "(the disk is full)" in err
    assert stat.S_ISCHR(device.stat().st_mode)


def _run(argv: list[str], stdout) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("CRS_DESKTOP_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "crs_desktop", *argv],
        cwd=ROOT,
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )


def test_export_into_a_closed_pipe_is_one_line_and_exit_2(chart):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader went away before a byte was written
    try:
        result = _run(["export", "--db", str(chart), "--patient", DEMO_MRN, "-o", "-"], write_end)
    finally:
        os.close(write_end)
    assert result.returncode == 2
    assert result.stderr == (
        "crs-desktop: -o '-': could not be written "
        "(the output was closed before everything was written)\n"
    )


def test_export_to_standard_output_on_a_full_disk_is_one_line(chart):
    with open("/dev/full", "w") as full:
        result = _run(["export", "--db", str(chart), "--patient", DEMO_MRN, "-o", "-"], full)
    assert result.returncode == 2
    assert result.stderr == "crs-desktop: -o '-': could not be written (the disk is full)\n"


# -- privacy of messages -----------------------------------------------------------------


def test_a_mistyped_patient_names_no_other_mrn_and_patients_lists_them(chart, tmp_path, capsys):
    assert import_csv(chart, tmp_path, "MRN-SECRET-7") == 0
    capsys.readouterr()
    for command in (
        ["export", "-o", str(tmp_path / "o.csv")],
        ["handover", "-o", str(tmp_path / "o.pdf")],
    ):
        assert main([*command, "--db", str(chart), "--patient", "MRN-SECRT-7"]) == 2
        err = one_line(capsys)
        assert "--patient 'MRN-SECRT-7': no patient with this MRN" in err
        assert "`crs-desktop patients` lists them" in err
        assert "MRN-SECRET-7" not in err and DEMO_MRN not in err
    assert main(["patients", "--db", str(chart)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert sorted(listed) == [
        "DEMO-001\tDemo, Alex (not a real patient) (demo)",
        "MRN-SECRET-7\t(name not given) MRN-SECRET-7",
    ]


# -- the last resort ---------------------------------------------------------------------


def test_a_bug_reaches_the_user_as_one_line_and_the_tests_as_an_exception(
    chart, monkeypatch, capsys
):
    from crs_desktop.cli import entry_point

    def bug(self):  # stands for a programming error anywhere in a command
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(ChartStore, "patients", bug)
    argv = ["patients", "--db", str(chart)]
    with pytest.raises(ZeroDivisionError):  # main() lets bugs through to the tests
        main(argv)
    monkeypatch.setattr(sys, "argv", ["crs-desktop", *argv])
    monkeypatch.delenv("CRS_DESKTOP_DEBUG", raising=False)
    assert entry_point() == 2
    err = one_line(capsys)
    assert "an unexpected error stopped this command (ZeroDivisionError)" in err
    assert "CRS_DESKTOP_DEBUG=1" in err
    monkeypatch.setenv("CRS_DESKTOP_DEBUG", "1")
    assert entry_point() == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "ZeroDivisionError: division by zero" in err
