"""A separate process that charts values one at a time into a store.

Used by the crash-safety and two-writer tests. Each value is printed as
`committed <row id> <value>` only after its transaction has committed.

usage: python -m tests.support.writer DB MRN COUNT TAG
"""

from __future__ import annotations

import sys
import time

from crs_desktop.store import ChartStore, Entry


def main() -> int:
    db, mrn, count, tag = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    store = ChartStore(db)
    patient = store.patient(mrn)
    if patient is None:
        print(f"no patient {mrn}", file=sys.stderr)
        return 1
    base = time.time() - 10 * 24 * 3600
    for i in range(count):
        value = f"{36 + (i % 50) / 10:.1f}"
        (row_id,) = store.chart(
            patient.id,
            [Entry("temperature", value, note=f"{tag}-{i}")],
            observed_at=base + i,
            actor=f"writer {tag}",
            source="test",
        )
        print(f"committed {row_id} {tag}-{i}", flush=True)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
