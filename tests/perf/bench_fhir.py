"""FHIR export benchmark (issue 21): prints one JSON line of measured figures.

    python tests/perf/bench_fhir.py [--minutes 43200] [--repeats 2]

The 30-day chart (one set of six vitals a minute: 259,200 values, written by
bench_store.insert_vitals) exported by `crs-desktop fhir export` as its own process:
start-up, reading the store, grading (the CRS/ICANS grade Observations), building each
resource, validating it with fhir.resources (R4B) and our profile checks, writing the
Bundle. The floor, in the same run: a process that only validates the same resources
with fhir.resources, read one by one from the Bundle the export wrote (the export
writes one entry a line), each parsed with json.loads. Wall time, CPU time (user +
system, from os.wait4) and peak resident memory (VmHWM) of each whole process; export
and floor alternate --repeats times; medians and the ratios of the medians (aim: time
<= 1.5x). The Bundle file's size is printed too: the export never holds it whole.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_store import COMMAND, PEAK_HOOK, insert_vitals, run_child  # noqa: E402

from crs_desktop.store import ChartStore  # noqa: E402

AIM = 1.5
FLOOR = (
    PEAK_HOOK
    + """
import json, sys
from fhir.resources.R4B import get_fhir_model_class
models = {}
count = 0
with open(sys.argv[1], encoding="utf-8") as bundle:
    next(bundle)  # the Bundle's own line, up to "entry": [
    for line in bundle:
        line = line.rstrip().rstrip(",")
        if not line.startswith("{"):
            continue
        resource = json.loads(line)["resource"]
        kind = resource["resourceType"]
        model = models.get(kind) or models.setdefault(kind, get_fhir_model_class(kind))
        model.model_validate(resource)
        count += 1
print(count)
"""
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=int, default=43_200, help="minutes of vitals (30 days)")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-fhir-") as name:
        folder = Path(name)
        db = folder / "chart.sqlite3"
        with ChartStore(db) as store:
            patient = store.create_patient("BENCH", "Bench, Pat", actor="bench")
            base = time.time() - 40 * 24 * 3600
            insert_vitals(store.conn, patient.id, base, args.minutes)
        bundle = folder / "bundle.json"
        export_args = ["fhir", "export", "--patient", "BENCH", "-o", str(bundle), "--force"]
        export_args += ["--db", str(db)]
        runs: dict[str, list[tuple[float, float, float]]] = {"export": [], "floor": []}
        for _ in range(args.repeats):
            runs["export"].append(run_child(COMMAND, export_args, folder / "export.peak"))
            runs["floor"].append(run_child(FLOOR, [str(bundle)], folder / "floor.peak"))
        entries = sum(1 for line in bundle.open(encoding="utf-8")) - 2
        size_mb = bundle.stat().st_size / 2**20

    def median(case: str, index: int) -> float:
        return statistics.median(r[index] for r in runs[case])

    figures = {
        "bench": "fhir_export",
        "values": args.minutes * 6,
        "resources": entries,
        "bundle_mb": round(size_mb, 1),
        "export_s": round(median("export", 0), 2),
        "floor_s": round(median("floor", 0), 2),
        "ratio_time": round(median("export", 0) / median("floor", 0), 2),
        "export_cpu_s": round(median("export", 1), 2),
        "floor_cpu_s": round(median("floor", 1), 2),
        "ratio_cpu": round(median("export", 1) / median("floor", 1), 2),
        "export_peak_mb": round(median("export", 2), 1),
        "floor_peak_mb": round(median("floor", 2), 1),
        "ratio_memory": round(median("export", 2) / median("floor", 2), 2),
        "aim_ratio_time": AIM,
        "repeats": args.repeats,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
