"""Patients: added, changed, archived and read, and the facts the chart holds about them."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from typing import Any

from crs_desktop.domain.errors import UserError
from crs_desktop.domain.validation import validate
from crs_desktop.store.reads import READABLE, ChartReads
from crs_desktop.store.records import Patient

_PATIENT_COLUMNS = (
    "id, mrn, name, birth_date, weight_kg, car_t_product, infusion_time, news2_scale, is_demo"
)


def _patient(t: tuple[Any, ...]) -> Patient:
    return Patient(
        id=t[0],
        mrn=t[1],
        name=t[2],
        birth_date=t[3],
        weight_kg=t[4],
        car_t_product=t[5],
        infusion_time=t[6],
        news2_scale=t[7] or 1,
        is_demo=bool(t[8]),
    )


class PatientRecords(ChartReads):
    """The patients of a chart file (see ChartStore)."""

    def create_patient(
        self,
        mrn: str,
        name: str,
        *,
        actor: str,
        source: str = "manual",
        birth_date: str | None = None,
        weight_kg: float | None = None,
        car_t_product: str | None = None,
        infusion_time: float | None = None,
        news2_scale: int = 1,
        is_demo: bool = False,
    ) -> Patient:
        actor = self._require_actor(actor)
        mrn = mrn.strip()
        if not mrn:
            raise UserError("MRN: required")
        if not name.strip():
            raise UserError("patient name: required")
        if news2_scale not in (1, 2):
            raise UserError(f"NEWS2 scale {news2_scale!r}: allowed 1 or 2")
        if weight_kg is not None:
            weight_kg = validate("weight", str(weight_kg)).value
        if self.patient(mrn) is not None:
            raise UserError(f"MRN {mrn!r}: a patient with this MRN already exists")

        facts = {
            "birth_date": birth_date,
            "weight_kg": weight_kg,
            "car_t_product": car_t_product,
            "infusion_time": infusion_time,
            "news2_scale": news2_scale,
            "is_demo": int(is_demo),
        }

        def work(conn: sqlite3.Connection) -> int:
            return self._insert_patient(conn, mrn, name.strip(), actor, source, **facts)

        patient_id = self._write(work)
        found = self.patient_by_id(patient_id)
        assert found is not None
        return found

    def _insert_patient(
        self, conn: sqlite3.Connection, mrn: str, name: str, actor: str, source: str, **facts: Any
    ) -> int:
        """Add a patient (`facts`: its other columns) and its audit row inside the caller's
        transaction; returns its id."""
        row = {"mrn": mrn, "name": name, **facts, "archived": 0, "created_at": self.clock()}
        columns, marks = ", ".join(row), ", ".join("?" for _ in row)
        cursor = conn.execute(
            f"INSERT INTO patients ({columns}) VALUES ({marks})", tuple(row.values())
        )
        patient_id = int(cursor.lastrowid or 0)
        self._audit(conn, "create_patient", actor, source, patient_id, {})
        return patient_id

    def update_patient(self, patient_id: int, *, actor: str, **fields: Any) -> Patient:
        """Change header facts (weight, product, infusion time, NEWS2 scale); audited."""
        allowed = {
            "name",
            "birth_date",
            "weight_kg",
            "car_t_product",
            "infusion_time",
            "news2_scale",
        }
        unknown = set(fields) - allowed
        if unknown:
            raise UserError(f"patient fields {sorted(unknown)}: allowed {sorted(allowed)}")
        actor = self._require_actor(actor)
        if "news2_scale" in fields and fields["news2_scale"] not in (1, 2):
            raise UserError(f"NEWS2 scale {fields['news2_scale']!r}: allowed 1 or 2")
        before = self.patient_by_id(patient_id)
        if before is None:
            raise UserError(f"patient id {patient_id}: not found")

        def work(conn: sqlite3.Connection) -> None:
            sets = ", ".join(f"{name} = ?" for name in fields)
            conn.execute(f"UPDATE patients SET {sets} WHERE id = ?", (*fields.values(), patient_id))
            old = {name: getattr(before, name) for name in fields}
            self._audit(conn, "update_patient", actor, "manual", patient_id, {"old": old})

        self._write(work)
        after = self.patient_by_id(patient_id)
        assert after is not None
        return after

    def last_change(self, patient_id: int, field: str) -> tuple[str, float] | None:
        """Who changed a header fact (e.g. the NEWS2 scale) last, and when: from the audit,
        which keeps the value before each change. None if it was never changed."""
        row = self.conn.execute(
            "SELECT actor, at FROM audit WHERE patient_id = ? AND action = 'update_patient' "
            "AND json_type(detail, ?) IS NOT NULL ORDER BY id DESC LIMIT 1",
            (patient_id, f"$.old.{field}"),
        ).fetchone()
        return (str(row[0]), float(row[1])) if row else None

    def archive_patient(self, patient_id: int, *, actor: str) -> None:
        """Hide a patient from the list (the demo reset); the chart itself is kept."""
        actor = self._require_actor(actor)

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE patients SET archived = 1, mrn = mrn || '~archived-' || id WHERE id = ?",
                (patient_id,),
            )
            self._audit(conn, "archive_patient", actor, "manual", patient_id, {})

        self._write(work)

    def patient(self, mrn: str) -> Patient | None:
        row = self.conn.execute(
            f"SELECT {_PATIENT_COLUMNS} FROM patients WHERE mrn = ? AND archived = 0",
            (mrn.strip(),),
        ).fetchone()
        return _patient(row) if row else None

    def patient_by_id(self, patient_id: int) -> Patient | None:
        row = self.conn.execute(
            f"SELECT {_PATIENT_COLUMNS} FROM patients WHERE id = ?", (patient_id,)
        ).fetchone()
        return _patient(row) if row else None

    def patients(self) -> list[Patient]:
        rows = self.conn.execute(
            f"SELECT {_PATIENT_COLUMNS} FROM patients WHERE archived = 0 ORDER BY name, mrn"
        ).fetchall()
        return [_patient(r) for r in rows]

    def weight_at(self, patient_id: int, at: float) -> float | None:
        """The weight in force at a time: the latest charted at or before it, else the first
        charted after it, else the weight on the patient record."""
        row = self.conn.execute(
            "SELECT value FROM observations WHERE patient_id = ? AND item = 'weight' "
            f"AND status = 'final' AND observed_at <= ?{READABLE} "
            "ORDER BY observed_at DESC LIMIT 1",
            (patient_id, at),
        ).fetchone()
        if row is None:
            row = self.conn.execute(
                "SELECT value FROM observations WHERE patient_id = ? AND item = 'weight' "
                f"AND status = 'final'{READABLE} ORDER BY observed_at LIMIT 1",
                (patient_id,),
            ).fetchone()
        if row is not None:
            return float(row[0])
        patient = self.patient_by_id(patient_id)
        return patient.weight_kg if patient else None

    def patient_facts(self, patient: Patient, at: float) -> Patient:
        """The patient with the facts the chart holds as of `at`, as the dose helper reads
        them: the weight in force (weight_at) and the CAR-T infusion charted (its time,
        day 0, and its product), each falling back to the patient record. The header, the
        plots and the handover read these, so none says "not recorded" beside a dose
        computed from a charted weight."""
        row = None
        for sql in (
            "AND observed_at <= ? ORDER BY observed_at DESC LIMIT 1",
            "ORDER BY observed_at LIMIT 1",
        ):
            params = (patient.id, at) if "?" in sql else (patient.id,)
            row = self.conn.execute(
                "SELECT observed_at, text FROM observations WHERE patient_id = ? "
                "AND item = 'car_t_infusion' AND status = 'final' " + sql,
                params,
            ).fetchone()
            if row is not None:
                break
        infusion, product = (float(row[0]), row[1] or None) if row else (None, None)
        return replace(
            patient,
            weight_kg=self.weight_at(patient.id, at),
            infusion_time=infusion if infusion is not None else patient.infusion_time,
            car_t_product=product or patient.car_t_product,
        )
