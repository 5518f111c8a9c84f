"""FHIR R4 Bundles in and out (issue 21): the round trip, the profile checks, refusals.

Real chart files, real commands, real fhir.resources validation; the clock is fixed.
"""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from crs_desktop.cli import main
from crs_desktop.commands import fhir as fhir_command
from crs_desktop.commands import import_chart as import_command
from crs_desktop.interop.fhir_codes import AS_WRITTEN, LOCAL, REPLACED_BY, UCUM
from crs_desktop.interop.fhir_profile import export_problems
from crs_desktop.interop.fhir_validate import structure_problem
from crs_desktop.store import ChartStore, Entry

NOW = 1_795_000_000.0  # 2026-11-17T... UTC: every time below is before it

# Every item the chart CSV lists, written the ways a ward writes them: °F, a FiO2
# fraction, a rate per kg, ward words, notes, three UTC offsets; a systolic with its
# diastolic right after it (the BP panel brings them back side by side).
CHART = (
    "time,item,value,unit,note\r\n"
    "2026-11-15T07:00:00+01:00,weight,154,[lb_av],\r\n"
    "2026-11-15T07:00:00+01:00,car_t_infusion,axi-cel,,day 0\r\n"
    "2026-11-15T08:00:00+01:00,temperature,38.4,,\r\n"
    "2026-11-15T08:00:00+01:00,systolic_bp,118,,\r\n"
    "2026-11-15T08:00:00+01:00,diastolic_bp,71,,\r\n"
    "2026-11-15T08:00:00+01:00,heart_rate,104,,\r\n"
    "2026-11-15T08:00:00+01:00,resp_rate,20,,\r\n"
    "2026-11-15T08:00:00+01:00,spo2,95,,\r\n"
    "2026-11-15T08:00:00+01:00,acvpu,A,,\r\n"
    "2026-11-15T09:00:00+00:00,temperature,102,degF,\r\n"
    "2026-11-15T09:00:00+00:00,o2_device,Nasal Cannula,,\r\n"
    "2026-11-15T09:00:00+00:00,o2_flow,2,L/min,\r\n"
    "2026-11-15T09:00:00+00:00,fio2,0.28,,estimated\r\n"
    "2026-11-15T09:00:00+00:00,systolic_bp,86,mm[Hg],\r\n"
    "2026-11-15T09:00:00+00:00,norepinephrine,0.05,ug/kg/min,\r\n"
    "2026-11-15T09:05:00+00:00,vasopressin,0.03,U/min,\r\n"
    "2026-11-15T09:10:00+00:00,fluid_bolus,500,mL,\r\n"
    "2026-11-15T09:15:00+00:00,paracetamol,1000,,\r\n"
    "2026-11-15T09:20:00+00:00,tocilizumab,640,mg,\r\n"
    "2026-11-15T09:30:00+00:00,dexamethasone,10,,\r\n"
    "2026-11-15T10:00:00-05:00,crp,12.5,mg/dL,\r\n"
    "2026-11-15T10:00:00-05:00,ferritin,2400,ug/L,\r\n"
    "2026-11-15T10:00:00-05:00,wbc,4.1,10*3/uL,\r\n"
    "2026-11-15T10:00:00-05:00,anc,2.0,,\r\n"
    "2026-11-15T10:00:00-05:00,lymphocytes,0.4,,\r\n"
    "2026-11-15T10:00:00-05:00,platelets,88,,\r\n"
    "2026-11-15T10:00:00-05:00,hemoglobin,101,g/L,\r\n"
    "2026-11-15T10:00:00-05:00,creatinine,1.1,mg/dL,\r\n"
    "2026-11-15T10:00:00-05:00,bilirubin,0.9,mg/dL,\r\n"
    "2026-11-15T10:00:00-05:00,alt,45,,\r\n"
    "2026-11-15T10:00:00-05:00,ast,52,,\r\n"
    "2026-11-15T10:00:00-05:00,fibrinogen,350,mg/dL,\r\n"
    "2026-11-15T10:00:00-05:00,il6,180,,\r\n"
    "2026-11-15T16:00:00+00:00,ice_score,7,,\r\n"
    "2026-11-15T16:00:00+00:00,consciousness,awakens to voice,,\r\n"
    "2026-11-15T16:00:00+00:00,seizure,none,,\r\n"
    "2026-11-15T16:00:00+00:00,motor_weakness,none,,\r\n"
    "2026-11-15T16:00:00+00:00,cerebral_edema,none,,\r\n"
    "2026-11-15T16:00:00+00:00,sedation,none,,\r\n"
    "2026-11-15T16:30:00+00:00,temperature,37.0,,other_cause: warm room\r\n"
    "2026-11-15T16:30:00+00:00,norepinephrine,0,,\r\n"
    '2026-11-15T16:31:00.250000+00:00,heart_rate,88,,"comma, and ""quotes"""\r\n'
)


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    """Every command judges "in the future" by NOW, not the wall clock."""
    monkeypatch.setattr(fhir_command, "clock", lambda: NOW)
    for module in (fhir_command, import_command):
        real_open = module.open_store

        def open_store(args, *more, _real=real_open, **kw):
            store = _real(args, *more, **kw)
            store.clock = lambda: NOW
            return store

        monkeypatch.setattr(module, "open_store", open_store)


def export_bundle(tmp_path, db, *extra) -> dict:
    out = tmp_path / "bundle.json"
    status, _, err = run(
        ["fhir", "export", "--patient", "P1", "-o", str(out), "--db", str(db), "--force", *extra]
    )
    assert status == 0, err
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture
def charted(tmp_path):
    chart = tmp_path / "chart.csv"
    chart.write_bytes(CHART.encode())
    db = tmp_path / "a.sqlite3"
    assert (
        run(["import", str(chart), "--patient", "P1", "--name", "Test, Pat", "--db", str(db)])[0]
        == 0
    )
    return db


def test_round_trip_chart_csv_fhir_export_import_csv_is_byte_identical(
    tmp_path, charted, store_target
):
    """What FHIR carries comes back byte for byte. What it does not carry: who charted a
    value (an import is charted by whoever imports it) and when it was recorded; values
    entered in error (left out on import, as the chart CSV leaves them out); the order
    of a diastolic among the values of its time (it comes right after its systolic).
    Imported into a new chart file and into the ward server (store_target)."""
    bundle = tmp_path / "bundle.json"
    assert (
        run(["fhir", "export", "--patient", "P1", "-o", str(bundle), "--db", str(charted)])[0] == 0
    )
    other = store_target
    status, out, err = run(["fhir", "import", str(bundle), "--patient", "P1", "--db", str(other)])
    assert status == 0, err
    assert "imported 42 values" in out and "into new patient P1" in out
    first, back = tmp_path / "first.csv", tmp_path / "back.csv"
    assert run(["export", "--patient", "P1", "-o", str(first), "--db", str(charted)])[0] == 0
    assert run(["export", "--patient", "P1", "-o", str(back), "--db", str(other)])[0] == 0
    assert first.read_bytes().decode() == CHART  # the chart as the app writes it
    assert back.read_bytes() == first.read_bytes()
    with ChartStore(other) as store:
        assert store.patient("P1").name == "Test, Pat"  # from the Bundle's Patient


def test_every_resource_exported_passes_fhir_resources_and_our_profile(tmp_path, charted):
    bundle = export_bundle(tmp_path, charted)
    assert bundle["type"] == "collection"
    resources = [e["resource"] for e in bundle["entry"]]
    for resource in resources:
        assert structure_problem(resource) is None
        assert export_problems(resource) == []
    kinds = [r["resourceType"] for r in resources]
    assert kinds.count("Patient") == 1 and kinds.count("MedicationAdministration") == 7


def _coded(resources, code):
    return [
        r for r in resources if any(c["code"] == code for c in r.get("code", {}).get("coding", []))
    ]


def test_vital_signs_follow_the_profile_in_canonical_ucum(tmp_path, charted):
    resources = [e["resource"] for e in export_bundle(tmp_path, charted)["entry"]]
    [panel] = _coded(resources, "85354-9")  # the 08:00 pair; the 09:00 systolic stands alone
    assert panel["meta"]["profile"][0] == "http://hl7.org/fhir/StructureDefinition/vitalsigns"
    assert panel["category"][0]["coding"][0]["code"] == "vital-signs"
    assert [c["code"]["coding"][0]["code"] for c in panel["component"]] == ["8480-6", "8462-4"]
    assert panel["component"][0]["valueQuantity"] == {
        "value": 118.0,
        "unit": "mmHg",
        "system": UCUM,
        "code": "mm[Hg]",
    }
    assert len(_coded(resources, "8480-6")) == 1
    fahrenheit = _coded(resources, "8310-5")[1]
    assert fahrenheit["effectiveDateTime"] == "2026-11-15T09:00:00+00:00"
    assert fahrenheit["valueQuantity"]["code"] == "Cel"
    assert fahrenheit["valueQuantity"]["value"] == pytest.approx(38.8889, abs=1e-4)
    assert fahrenheit["extension"] == [
        {
            "url": AS_WRITTEN,
            "extension": [
                {"url": "value", "valueString": "102"},
                {"url": "unit", "valueCode": "[degF]"},
            ],
        }
    ]
    [spo2] = _coded(resources, "59408-5")
    assert [c["code"] for c in spo2["code"]["coding"]] == ["2708-6", "59408-5"]
    [ice] = _coded(resources, "ice_score")
    assert ice["code"]["coding"][0]["system"] == LOCAL and ice["valueInteger"] == 7
    [toci] = [
        r
        for r in resources
        if r["resourceType"] == "MedicationAdministration"
        and r["medicationCodeableConcept"]["coding"][0]["code"] == "tocilizumab"
    ]
    assert toci["dosage"]["dose"]["code"] == "mg" and toci["status"] == "completed"


def test_grades_go_with_their_reasons_in_the_local_code_system(tmp_path, charted):
    resources = [e["resource"] for e in export_bundle(tmp_path, charted)["entry"]]
    crs = _coded(resources, "astct-crs-grade")
    assert crs and all(r["code"]["coding"][0]["system"] == LOCAL for r in crs)
    graded = [r for r in crs if r.get("valueInteger", 0) > 0][0]
    assert graded["note"] and "°C" in " ".join(n["text"] for n in graded["note"])


def test_a_correction_is_entered_in_error_linked_to_its_replacement(tmp_path, charted):
    with ChartStore(charted, clock=lambda: NOW) as store:
        patient = store.patient("P1")
        wrong = next(r for r in store.rows(patient.id) if r.item == "heart_rate")
        new_id = store.mark_entered_in_error(
            wrong.id,
            reason="wrong patient's monitor",
            actor="RN B",
            replacement=Entry("heart_rate", "101"),
        )
        store.record_event(
            patient.id,
            "checklist",
            actor="RN B",
            key="crs_inform_doctor_g1",
            status="done",
            at=NOW - 60,
        )
    bundle = export_bundle(tmp_path, charted, "--transaction")
    assert bundle["type"] == "transaction"
    by_url = {e["fullUrl"]: e for e in bundle["entry"]}
    [old] = [e for e in bundle["entry"] if e["resource"].get("status") == "entered-in-error"]
    link = old["resource"]["extension"][0]
    assert link["url"] == REPLACED_BY
    replacement = by_url[link["valueReference"]["reference"]]["resource"]
    assert replacement["valueQuantity"]["value"] == 101.0 and replacement["status"] == "final"
    assert "wrong patient's monitor" in old["resource"]["note"][-1]["text"]
    assert all(e["request"]["method"] == "POST" for e in bundle["entry"])
    [task] = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Task"]
    assert task["status"] == "completed" and task["owner"] == {"display": "RN B"}
    del new_id


def _import(tmp_path, bundle: dict, mrn: str = "P1") -> tuple[int, str, str, object]:
    path = tmp_path / "in.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    db = tmp_path / "in.sqlite3"
    with ChartStore(db, clock=lambda: NOW) as store:
        store.create_patient(mrn, "Test, Pat", actor="setup")
    status, out, err = run(["fhir", "import", str(path), "--patient", mrn, "--db", str(db)])
    with ChartStore(db) as store:
        count = len(store.rows(store.patient(mrn).id))
    return status, out, err, count


@pytest.mark.parametrize(
    ("change", "said"),
    [
        # fhir.resources lets these through: our own checks refuse them.
        (lambda r: r.update(status="done"), "status 'done' is not an Observation status"),
        (lambda r: r["valueQuantity"].update(code="mm[Hg]"), "unit 'mm[Hg]' is not one of"),
        (lambda r: r.update(category=[]), "category vital-signs is needed"),
        (lambda r: r["code"]["coding"][0].update(code="99999-9"), "unknown code (http://loinc"),
        (lambda r: r["valueQuantity"].update(value=20), "out of the possible range"),
        (lambda r: r.update(effectiveDateTime="2026-11"), "expected an ISO 8601 date-time"),
        (lambda r: r.update(effectiveDateTime="2999-01-01T00:00:00Z"), "is in the future"),
        (lambda r: r.update(status="preliminary"), "only amended, corrected, final"),
        (lambda r: r["valueQuantity"].update(value="abc"), "not a valid FHIR R4 Observation"),
        (lambda r: r["valueQuantity"].update(value="38"), "the value must be a number"),
    ],
)
def test_a_bad_entry_is_named_and_nothing_is_written(tmp_path, charted, change, said):
    bundle = export_bundle(tmp_path, charted)
    index = next(i for i, e in enumerate(bundle["entry"]) if "8310-5" in json.dumps(e))
    change(bundle["entry"][index]["resource"])
    status, _, err, count = _import(tmp_path, bundle)
    assert status == 2 and count == 0
    assert f"Bundle.entry[{index}]: " in err and said in err, err
    assert "Traceback" not in err


def test_another_patients_bundle_is_refused(tmp_path, charted):
    bundle = export_bundle(tmp_path, charted)
    status, _, err, count = _import(tmp_path, bundle, mrn="P2")
    assert status == 2 and count == 0
    assert "Bundle.entry[0]: a Patient with MRN P1, not P2" in err


def test_values_written_otherwise_must_agree_with_the_value_charted(tmp_path, charted):
    bundle = export_bundle(tmp_path, charted)
    index = next(
        i
        for i, e in enumerate(bundle["entry"])
        if AS_WRITTEN in json.dumps(e) and "8310-5" in json.dumps(e)
    )
    bundle["entry"][index]["resource"]["extension"][0]["extension"][0]["valueString"] = "104"
    status, _, err, count = _import(tmp_path, bundle)
    assert status == 2 and count == 0
    assert f"Bundle.entry[{index}]: the value as written (104 [degF]) is not the value" in err


def test_a_refused_bundle_creates_no_chart_file(tmp_path):
    path = tmp_path / "in.json"
    path.write_text('{"resourceType": "Bundle", "type": "collection", "entry": [{}]}')
    db = tmp_path / "new.sqlite3"
    status, _, err = run(["fhir", "import", str(path), "--patient", "P1", "--db", str(db)])
    assert status == 2 and "Bundle.entry[0]: an entry needs a resource" in err
    assert not db.exists()


def test_from_to_narrow_the_export_and_dash_writes_to_standard_output(tmp_path, charted):
    status, out, err = run(
        [
            "fhir",
            "export",
            "--patient",
            "P1",
            "--from",
            "2026-11-15T16:00:00Z",
            "--to",
            "2026-11-15T16:30:00Z",
            "-o",
            "-",
            "--db",
            str(charted),
        ]
    )
    assert status == 0, err
    resources = [e["resource"] for e in json.loads(out)["entry"][1:]]
    grades = [r for r in resources if "grade" in json.dumps(r.get("code"))]
    times = {r["effectiveDateTime"] for r in resources if r not in grades}
    assert times == {"2026-11-15T16:00:00+00:00", "2026-11-15T16:30:00+00:00"}
    # Graded on the whole chart: the CRS grade in force when the window opens goes too.
    crs = [r for r in grades if r["code"]["coding"][0]["code"] == "astct-crs-grade"]
    assert crs[0]["effectiveDateTime"] < "2026-11-15T16:00" and crs[0]["valueInteger"] >= 1
    status, _, err = run(
        [
            "fhir",
            "export",
            "--patient",
            "P1",
            "--from",
            "yesterday",
            "-o",
            "-",
            "--db",
            str(charted),
        ]
    )
    assert status == 2 and "--from 'yesterday': expected an ISO 8601 date-time" in err


def test_a_corrected_value_imports_as_its_replacement_only(tmp_path, charted):
    with ChartStore(charted, clock=lambda: NOW) as store:
        patient = store.patient("P1")
        wrong = next(r for r in store.rows(patient.id) if r.item == "heart_rate")
        store.mark_entered_in_error(
            wrong.id, reason="typo", actor="RN B", replacement=Entry("heart_rate", "101")
        )
    bundle = export_bundle(tmp_path, charted)
    status, out, err, count = _import(tmp_path, bundle)
    assert status == 0, err
    assert count == 42 and "left out (not chart values): 1 entered in error" in out
    with ChartStore(tmp_path / "in.sqlite3") as store:
        rates = [r.value for r in store.rows(store.patient("P1").id) if r.item == "heart_rate"]
    assert 101.0 in rates and wrong.value not in rates


@pytest.mark.parametrize(
    "reshape",
    [
        lambda text: text,  # as exported: one entry a line, read as a stream
        lambda text: text.replace(",\n", ", ", 3),  # three entries on one line, then lines
        lambda text: json.dumps(json.loads(text), indent=1),  # pretty-printed by a tool
        lambda text: json.dumps(json.loads(text)),  # all on one line
    ],
)
def test_any_layout_of_the_same_bundle_imports_the_same(tmp_path, charted, reshape):
    out = tmp_path / "bundle.json"
    run(["fhir", "export", "--patient", "P1", "-o", str(out), "--db", str(charted)])
    bundle = json.loads(out.read_text(encoding="utf-8"))
    path = tmp_path / "in.json"
    path.write_text(reshape(out.read_text(encoding="utf-8")), encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8")) == bundle
    db = tmp_path / "in.sqlite3"
    status, out_text, err = run(["fhir", "import", str(path), "--patient", "P1", "--db", str(db)])
    assert status == 0, err
    assert "imported 42 values" in out_text
    with ChartStore(db) as store:
        assert store.patient("P1").name == "Test, Pat"


def test_grades_follow_the_wards_protocol(tmp_path, monkeypatch):
    from crs_desktop.resources_path import default_protocol_path
    from tests.test_protocol_grading import GRADING, without_hypotension_table

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # its last good copy
    monkeypatch.delenv("CRS_DESKTOP_PROTOCOL", raising=False)
    ward = tmp_path / "ward.toml"
    ward.write_text(
        without_hypotension_table(default_protocol_path().read_text(encoding="utf-8")) + GRADING
    )
    chart = tmp_path / "chart.csv"
    chart.write_text(
        "time,item,value,unit,note\n"
        "2026-11-15T08:00:00Z,temperature,38.4,,\n"
        "2026-11-15T08:00:00Z,systolic_bp,92,,\n"
        "2026-11-15T08:00:00Z,diastolic_bp,80,,\n"
    )
    db = tmp_path / "a.sqlite3"
    assert run(["import", str(chart), "--patient", "P1", "--db", str(db)])[0] == 0

    def crs_grades(*extra):
        resources = [e["resource"] for e in export_bundle(tmp_path, db, *extra)["entry"]]
        return [r["valueInteger"] for r in _coded(resources, "astct-crs-grade")]

    assert crs_grades() == [1]  # systolic 92 is not below 90 mmHg: fever only
    assert crs_grades("--protocol", str(ward)) == [2]  # below the ward's 95 mmHg
