"""The ward server's own cases (the store suite itself runs on both back ends, test_store.py):
the wrong database, a newer schema, no password in the address, a server restarted or
down mid-shift, and a chart file on a network folder (refused, pointing at the server)."""

from __future__ import annotations

import time

import psycopg
import pytest

from crs_desktop.cli import main
from crs_desktop.store import ChartStore, Entry, StoreError, filesystems
from crs_desktop.store.server import UNREACHABLE
from crs_desktop.store.server_schema import META_TABLE

NOW = time.time()


@pytest.fixture
def server_db(pg_cluster):
    return pg_cluster.new_database()


def tables(url):
    with psycopg.connect(url) as conn:
        return sorted(
            r[0]
            for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        )


def test_another_programs_database_is_refused_and_left_unchanged(server_db, capsys):
    with psycopg.connect(server_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE invoices (id int)")
    assert main(["patients", "--db", server_db]) == 2
    err = capsys.readouterr().err
    assert "a database of another program, not a crs_desktop chart store" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert tables(server_db) == ["invoices"]


def test_a_newer_schema_is_refused(server_db, capsys):
    ChartStore(server_db).close()
    with psycopg.connect(server_db, autocommit=True) as conn:
        conn.execute(f"UPDATE {META_TABLE} SET value = '99' WHERE key = 'schema_version'")
    assert main(["patients", "--db", server_db]) == 2
    err = capsys.readouterr().err
    assert "written by a newer crs_desktop (schema 99" in err and "update crs_desktop" in err


def test_a_password_in_the_address_is_refused(pg_cluster, capsys):
    url = pg_cluster.url("x").replace("user=crs_test", "user=crs_test&password=secret")
    assert main(["patients", "--db", url]) == 2
    err = capsys.readouterr().err
    assert "a password in the server address is refused" in err and "~/.pgpass" in err
    assert "secret" not in err


def test_no_server_there_is_said_in_one_line(tmp_path, capsys):
    url = f"postgresql:///chart?host={tmp_path}&port=1"
    assert main(["patients", "--db", url]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and UNREACHABLE in err


def test_the_environment_variable_selects_the_server(server_db, monkeypatch, capsys):
    monkeypatch.setenv("CRS_DESKTOP_DB", server_db)
    assert main(["demo", "--until-hour", "3"]) == 0
    assert main(["patients"]) == 0
    assert "DEMO-001" in capsys.readouterr().out


def test_a_restarted_server_is_said_then_reconnected_without_losing_a_value(server_db, pg_cluster):
    store = ChartStore(server_db)
    patient = store.create_patient("MRN-R", "Restart, Rita", actor="RN A")
    (first,) = store.chart(patient.id, [Entry("spo2", "95")], observed_at=NOW - 60, actor="RN A")
    pg_cluster.stop()
    try:
        with pytest.raises(StoreError, match=UNREACHABLE):
            store.chart(patient.id, [Entry("spo2", "91")], observed_at=NOW - 30, actor="RN A")
        with pytest.raises(StoreError, match=UNREACHABLE):  # still down: still said
            store.rows(patient.id)
    finally:
        pg_cluster.start()
    # Back: the next write reconnects by itself; the value charted before is there.
    (second,) = store.chart(patient.id, [Entry("spo2", "91")], observed_at=NOW - 30, actor="RN A")
    assert [r.id for r in store.rows(patient.id)] == [first, second]
    # A restart between two statements (nothing was being written) is not even noticed.
    pg_cluster.restart()
    assert [r.value for r in store.rows(patient.id)] == [95.0, 91.0]
    pg_cluster.restart()  # nor before a write: it is sent again on a new connection
    store.chart(patient.id, [Entry("spo2", "96")], observed_at=NOW - 10, actor="RN A")
    assert [r.value for r in store.rows(patient.id)] == [95.0, 91.0, 96.0]
    store.close()


# -- a chart file on a network folder --------------------------------------------------


@pytest.fixture
def on_nfs(tmp_path, monkeypatch):
    """/proc/self/mountinfo as it reads with tmp_path mounted from an NFS server."""
    mounts = filesystems.MOUNTINFO.read_text()
    share = str(tmp_path / "ward share").replace(" ", "\\040")
    mounts += (
        f"901 25 0:77 / {share} rw,relatime shared:400 - nfs4 files:/export/ward rw,vers=4.2\n"
    )
    fake = tmp_path / "mountinfo"
    fake.write_text(mounts)
    monkeypatch.setattr(filesystems, "MOUNTINFO", fake)
    (tmp_path / "ward share").mkdir()
    return tmp_path / "ward share"


def test_a_chart_file_on_a_network_folder_is_refused(on_nfs, tmp_path, capsys):
    local = tmp_path / "local.sqlite3"
    ChartStore(local).close()  # a local disk: as today
    new = on_nfs / "chart.sqlite3"
    assert main(["demo", "--until-hour", "2", "--db", str(new)]) == 2
    err = capsys.readouterr().err
    assert "on a network folder (NFS)" in err and "ward server" in err
    assert not new.exists()
    existing = on_nfs / "old.sqlite3"
    local.rename(existing)
    before = existing.read_bytes()
    with pytest.raises(StoreError, match=r"network folder \(NFS\).*; left unchanged"):
        ChartStore(existing, read_only=True)
    assert existing.read_bytes() == before


def test_the_server_has_the_same_schema_as_the_file(server_db, tmp_path):
    """One set of migrations: the same tables, columns and indexes on both back ends."""
    with ChartStore(tmp_path / "chart.sqlite3") as file_store:
        conn = file_store.conn
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        in_file = {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
        file_indexes = {
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
            if not r[0].startswith("sqlite_")
        }
    ChartStore(server_db).close()
    with psycopg.connect(server_db) as conn:
        on_server = {
            t: [
                r[0]
                for r in conn.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                    "ORDER BY ordinal_position",
                    (t,),
                )
            ]
            for t in tables
        }
        server_indexes = {
            r[0]
            for r in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
            if not r[0].endswith("_pkey")
        }
    assert on_server == in_file
    assert server_indexes == file_indexes


def test_the_commands_work_on_the_server(server_db, tmp_path, capsys, qapp):
    """import, export, patients, handover and the live demo, as on a file. (`qapp`: the
    handover draws with Qt, in this process pytest-qt's application.)"""
    chart = tmp_path / "in.csv"
    chart.write_text(
        "time,item,value,unit,note\n"
        "2026-11-20T08:00:00+01:00,temperature,101.3,degF,axilla\n"
        "2026-11-20T08:00:00+01:00,systolic_bp,85,mm[Hg],\n"
        "2026-11-20T09:30:00+01:00,spo2,93,%,\n",
        encoding="utf-8",
    )
    argv = ["import", str(chart), "--patient", "IMP-1", "--name", "Import, Ida"]
    assert main([*argv, "--db", server_db, "--by", "RN A"]) == 0
    exported = []
    for db in (server_db, str(tmp_path / "same.sqlite3")):  # the same file from both
        if db != server_db:
            assert main([*argv, "--db", db, "--by", "RN A"]) == 0
        out = tmp_path / f"out{len(exported)}.csv"
        assert main(["export", "--patient", "IMP-1", "-o", str(out), "--db", db]) == 0
        exported.append(out.read_bytes())
    assert exported[0] == exported[1] and b"101.3,degF,axilla" in exported[0]
    pdf = tmp_path / "handover.pdf"
    assert main(["handover", "--patient", "IMP-1", "-o", str(pdf), "--db", server_db]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    live = ["demo", "--live", "--speed", "2000", "--until-hour", "6", "--db", server_db]
    assert main(live) == 0
    capsys.readouterr()
    assert main(["patients", "--db", server_db]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "DEMO-001\tDemo, Alex (not a real patient) (demo)",
        "IMP-1\tImport, Ida",
    ]


def test_a_server_that_never_answers_is_said_within_the_connect_timeout(capsys):
    """A server behind a pulled cable: the connection is taken, nothing ever answers."""
    import socket

    from crs_desktop.store.server import CONNECT_TIMEOUT_S

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        started = time.monotonic()
        url = f"postgresql://ward@127.0.0.1:{port}/chart?sslmode=disable"
        assert main(["patients", "--db", url]) == 2
        waited = time.monotonic() - started
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and UNREACHABLE in err
    assert waited < CONNECT_TIMEOUT_S + 2


def test_a_write_whose_connection_is_cut_before_commit_is_never_said_done(server_db):
    """The server drops the connection between a write's last statement and its COMMIT:
    refused (the nurse saves again), never acknowledged as if it were committed."""
    store = ChartStore(server_db)
    patient = store.create_patient("MRN-C", "Cut, Carl", actor="RN A")

    def work(conn):
        conn.execute(
            "INSERT INTO events (patient_id, kind, at, recorded_at, charted_by) "
            "VALUES (?, 'checklist', ?, ?, 'RN A')",
            (patient.id, NOW - 5, NOW - 5),
        )
        with psycopg.connect(server_db, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (store.conn.raw.info.backend_pid,))

    with pytest.raises(StoreError, match=UNREACHABLE):
        store._write(work)
    assert store.events(patient.id) == []  # the read reconnects: nothing was committed
    store.close()


def test_a_read_on_the_server_is_interrupted_as_on_the_file(server_db):
    # The window ends a history read it will not show (store.interrupt() from the GUI
    # thread, app/plot_data.HistoryReader): on the server too it must end the statement
    # and raise sqlite3's OperationalError, which the reader takes as "stopped".
    import sqlite3
    import threading

    ChartStore(server_db).close()
    store = ChartStore(server_db, verify=False, read_only=True)
    outcome: list[BaseException] = []

    def slow_read() -> None:
        try:
            store.conn.execute("SELECT pg_sleep(30)")
        except BaseException as exc:
            outcome.append(exc)

    reader = threading.Thread(target=slow_read)
    started = time.monotonic()
    reader.start()
    with psycopg.connect(server_db, autocommit=True) as watcher:
        while not watcher.execute(  # the sleep is running on the server
            "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'"
        ).fetchone():
            assert time.monotonic() - started < 20
    store.interrupt()
    reader.join(timeout=20)
    assert not reader.is_alive() and time.monotonic() - started < 25
    assert len(outcome) == 1 and isinstance(outcome[0], sqlite3.OperationalError)
    store.close()
