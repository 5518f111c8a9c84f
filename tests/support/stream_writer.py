"""A separate process charting a stream of temperatures and SpO2 values into a store.

usage: python -m tests.support.stream_writer DB MRN COUNT FIRST_AT STEP_S

Value i is charted at FIRST_AT + i × STEP_S (epoch seconds, so a test's fixed clock
decides where they fall), each in its own transaction, alternately a temperature and an
SpO2; `committed <row id>` is printed after each commit.
"""

from __future__ import annotations

import sys

from crs_desktop.store import ChartStore, Entry


def value(i: int) -> Entry:
    if i % 2:
        return Entry("spo2", str(90 + i % 10))
    return Entry("temperature", f"{36.5 + (i % 20) / 10:.1f}")


def main() -> int:
    db, mrn, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    first_at, step = float(sys.argv[4]), float(sys.argv[5])
    with ChartStore(db) as store:
        patient = store.patient(mrn)
        if patient is None:
            print(f"no patient {mrn}", file=sys.stderr)
            return 1
        for i in range(count):
            (row_id,) = store.chart(
                patient.id, [value(i)], observed_at=first_at + i * step, actor="stream"
            )
            print(f"committed {row_id}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
