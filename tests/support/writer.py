"""A separate process that charts values one at a time into a store.

Used by the crash-safety and two-writer tests. Each value is printed as
`committed <row id> <value>` only after its transaction has committed.

usage: python -m tests.support.writer DB MRN COUNT TAG [GO_FILE]

With GO_FILE it prints `ready`, then waits until that file exists, so that
several writers can be started at the same moment. With WRITER_SECONDS it stops
after that long (COUNT then only bounds it). DB is a chart file or a server address.
"""

from __future__ import annotations

import os
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
    if len(sys.argv) > 5:
        print("ready", flush=True)
        while not os.path.exists(sys.argv[5]):
            time.sleep(0.001)
    pause = float(os.environ.get("WRITER_PAUSE_S", "0"))
    seconds = float(os.environ.get("WRITER_SECONDS", "0"))
    base = time.time() - 10 * 24 * 3600
    until = time.monotonic() + seconds
    for i in range(count):
        if seconds and time.monotonic() >= until:
            break
        value = f"{36 + (i % 50) / 10:.1f}"
        (row_id,) = store.chart(
            patient.id,
            [Entry("temperature", value, note=f"{tag}-{i}")],
            observed_at=base + i,
            actor=f"writer {tag}",
            source="test",
        )
        print(f"committed {row_id} {tag}-{i}", flush=True)
        if pause:
            time.sleep(pause)  # a feed charts now and then, not in a tight loop
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
