"""A writer process for the concurrency and kill tests:
``python -m tests.tracking.writer URL ACCOUNT_ID PROJECT N TAG`` appends up to N events
(N=0: forever), re-reading the version after each stale write; prints one JSON line per
accepted write ({"id":..,"seq":..,"note":..}) and flushes it at once."""

from __future__ import annotations

import json
import sys

from tests.tracking.helpers import baseline, source
from tracking import events
from tracking.auth import get_account
from tracking.db import make_engine


def main(url: str, account_id: int, project: str, n: int, tag: str) -> None:
    engine = make_engine(url)
    acc = get_account(engine, account_id)
    base = baseline()
    done = attempt = 0
    while n == 0 or done < n:
        attempt += 1
        v = events.project_version(engine, project)
        note = f"{tag}-{attempt}"
        try:
            ev = events.record_update(engine, acc, project,
                                      source(note=note, progress_pct=attempt % 101),
                                      based_on=v, baseline=base)
        except events.StaleWriteError:
            continue
        done += 1
        print(json.dumps({"id": ev.id, "seq": ev.seq, "note": note}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5])
