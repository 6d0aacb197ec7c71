"""What verifying the ledger on every load costs: synthetic parks of 100 and 1,000 tenants.

For each size: the ledger is written as `itpark allocate` would (one file per tenant), then read and checked
(overlaps, duplicate addresses, sites, park names). Prints files, entries and the CPU seconds of reading and of
checking. Run: .venv/bin/python benchmarks/ledger_scale.py [sizes...]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import write_park

from itpark.plan import build_plan
from itpark.plan.ledger import ledger_changes_on_disk, read_ledger, render_ledger, write_ledger
from itpark.plan.ledger_check import check_ledger
from itpark.spec import load_park

SIZES = [100, 1000]


def main(sizes: list[int]) -> None:
    print(f"{'tenants':>8} {'files':>6} {'entries':>8} {'read cpu s':>10} {'check cpu s':>11}")
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            park = write_park(Path(tmp) / "park", size)
            loaded = load_park(park)
            plan = build_plan(loaded, {})
            write_ledger(
                park, ledger_changes_on_disk(park, read_ledger(park), render_ledger(plan.park.name, plan.ledger))
            )
            start = time.process_time()
            ledger = read_ledger(park)
            read = time.process_time() - start
            start = time.process_time()
            problems = check_ledger(loaded.park, ledger, park)
            check = time.process_time() - start
            assert not problems, problems[:3]
            print(f"{size:>8} {len(ledger.files):>6} {len(ledger.entries):>8} {read:>10.2f} {check:>11.2f}")


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]] or SIZES)
