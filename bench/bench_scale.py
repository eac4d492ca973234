"""A pharmacy's store after years of work: size per dispensed prescription and the latency of every list.

Builds a pharmacy store of `--size` dispensed prescriptions (default 5,000, a few minutes here; the issue's
figure is 500,000, five years of a busy pharmacy — `--size 500000`, about 50 minutes on 2 cores, see the
README's numbers) through the real write path, batched: each prescription is

1. received as the exchange hands it over (registered, with its prescriber and facility signatures, real
   CAdES-BES over its document) — `keep_prescription`, as a retrieval keeps it;
2. dispensed in full by the pharmacist (the local rules, the pharmacist's and the pharmacy seal's real
   signatures, the prescription's units, the outbox row) — `record_dispensing`;
3. registered by the exchange: its answer applied as the drain applies it (the dispensing registered with
   its receipt, the prescription dispensed, the outbox row done) — `sync.results.applied`.

Every row the services write is written (documents, versions, signatures, audit rows, outbox rows and the
exchange's answers); only the commits are batched (`--per-commit` prescriptions per transaction instead of
one fsync each) and the exchange is not called. Prescriptions are spread evenly over five years ending
now, patients drawn from `--patients` people. Then each list and lookup the desktop and the sync make is
timed on the full store (median of `--repeat` runs, cold first run shown too), against the issue's goal
for today's list (≤ 20 ms) and for the size (≤ 5 KiB per dispensed prescription).

    python bench/bench_scale.py [--size 10000] [--per-commit 500] [--keep DIR] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from measure import figure

from app.canonical import canonical_bytes
from app.costs import CostSplit
from app.domain import IRAN_TZ, Coverage, Patient, PatientId, Prescription, RxState
from app.services.dispensing import DispenseLine, keep_prescription, record_dispensing
from app.services.prescribing import ItemRequest, price_items
from app.store import Store
from app.store.outbox import chain_of
from exchange import devworld, seed
from smartcard import devtoken
from smartcard.p12 import P12Signer
from smartcard.trustlist import TrustList
from sync import results
from sync.fhir.common import SYS_DISP, task

PASSPHRASE = "bench passphrase"
TODAY_GOAL_MS = 20.0
SIZE_GOAL_KIB = 5.0
YEARS = 5
ITEMS = (
    ItemRequest("101002", 21, "هر ۸ ساعت"),
    ItemRequest("103011", 10, "شب"),
    ItemRequest("105040", 20, "صبح"),
)


def _signer(tokens: Any, trust: TrustList, label: str) -> P12Signer:
    ident = next(i for i in devworld.IDENTITIES if i.label == label)
    return P12Signer(tokens.p12(label), devworld.P12_PASSPHRASES[label], trust, role=ident.role)


def _patients(n: int) -> list[Patient]:
    rng = random.Random(5)
    people = [p for p in seed.persons() if p["kind"] == "national-code" and p["coverages"]]
    out = []
    for i in range(n):
        p = people[i % len(people)]
        plan = p["coverages"][0]
        code = f"{rng.randrange(10**9):09d}"  # distinct people beyond the seed's, same shapes
        r = sum(int(c) * (10 - k) for k, c in enumerate(code)) % 11
        value = code + str(r if r < 2 else 11 - r)
        out.append(
            Patient(
                PatientId("national-code", value if i >= len(people) else p["value"]),
                p["first_name"],
                p["last_name"],
                coverage=Coverage(plan.split("-")[0], scheme=plan if "-" in plan else ""),
            )
        )
    return out


def _bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.iterdir() if f.is_file())


def build(
    path: Path, tokens: Any, trust: TrustList, size: int, per_commit: int, n_patients: int
) -> tuple[float, int]:
    """Write `size` dispensed prescriptions into a new pharmacy store at `path`; returns (seconds taken,
    bytes of the store before the first prescription: its reference data and trust list)."""
    store = Store.create(path, PASSPHRASE, role="pharmacy", facility=devworld.PHARMACY.siam, kdf_log2_n=10)
    trust.save(store)
    store.checkpoint()
    empty = _bytes(path)
    gp, clinic = _signer(tokens, trust, "noskhe-gp"), _signer(tokens, trust, "noskhe-clinic")
    pharmacist = devworld.PHARMACISTS["noskhe-pharmacist"]
    dispensers = [_signer(tokens, trust, "noskhe-pharmacist"), _signer(tokens, trust, "noskhe-pharmacy")]
    patients = _patients(n_patients)
    rng = random.Random(7)
    end = dt.datetime.now(IRAN_TZ).replace(microsecond=0) - dt.timedelta(hours=1)
    step = dt.timedelta(days=365 * YEARS) / max(1, size)
    start, t0, last = end - step * size, time.monotonic(), time.monotonic()
    for first in range(0, size, per_commit):
        with store.transaction():
            for i in range(first, min(size, first + per_commit)):
                at = start + step * i
                patient = patients[rng.randrange(len(patients))]
                items = price_items(store, patient, [ITEMS[i % 3], ITEMS[(i + 1) % 3]])
                rx = Prescription(patient, devworld.GP, devworld.CLINIC.siam, items, "", prescribed_at=at)
                rx.hid = f"H{i:010d}"
                rx.service_start, rx.service_end = at, at
                data = canonical_bytes(rx.document())
                signatures = [gp.sign(data), clinic.sign(data)]
                rx.state = RxState.REGISTERED
                rx.tracking_code = f"T{i:09d}"
                keep_prescription(store, rx, signatures, source="retrieved")
                later = at + dt.timedelta(minutes=rng.randrange(5, 600))
                d = record_dispensing(
                    store,
                    rx.id,
                    pharmacist=pharmacist,
                    lines=[DispenseLine(it.line) for it in rx.items],
                    signers=dispensers,
                    ttac_reason="بسته‌ها کد اصالت ندارند",
                    clock=lambda later=later: later,
                )
                (row,) = store.outbox.for_subject(f"disp:{d.id}")
                answer = {  # the exchange's Task for a dispensing it registered (exchange/dispensing.py)
                    "receipt": f"R{i:09d}",
                    "prescription": rx.id,
                    "prescriptionState": RxState.DISPENSED.value,
                    "dispensedLines": [it.line for it in rx.items],
                    "dispensedQuantities": {str(it.line): it.quantity for it in d.items},
                    "packs": [],
                    "ttacReason": d.ttac_reason,
                    "hid": rx.hid,
                    "trackingCode": rx.tracking_code,
                    "cost": CostSplit.sum(it.cost for it in d.items).to_dict(),
                }
                body = task("completed", row.idem_key, SYS_DISP, d.id, answer)
                store.outbox.finish(row, results.applied(store, row, body))
        if time.monotonic() - last > 30:
            last = time.monotonic()
            done = min(size, first + per_commit)
            print(f"  … {done} of {size} ({done / (last - t0):.0f}/s)", flush=True)
    store.checkpoint()
    store.close()
    return time.monotonic() - t0, empty


def lists(store: Store) -> dict[str, Callable[[], object]]:
    """Every list and lookup the desktop and the sync make (as `tests/app/test_query_plans.py` names
    them), on today's date and a patient with a history."""
    from app.store import reports

    p = store.prescriptions
    newest = p.find(limit=1)[0]
    rx = p.find(limit=1, until=dt.datetime.now(IRAN_TZ) - dt.timedelta(days=365))[0]
    value = rx.patient.id.value
    today = dt.datetime.now(IRAN_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    month = dt.timedelta(days=30)
    last_month = today - month
    out: dict[str, Callable[[], object]] = {
        "today's list": lambda: p.find(since=today, until=today + dt.timedelta(days=1), limit=500),
        "newest first (500)": lambda: p.find(limit=500),
        "a month (500)": lambda: p.find(since=last_month, until=today, limit=500),
        "by state (dispensed, 500)": lambda: p.find(states=(RxState.DISPENSED.value,), limit=500),
        "by state, today's": lambda: p.find(
            states=(RxState.DISPENSED.value,), since=today, until=today + dt.timedelta(days=1), limit=500
        ),
        "by patient": lambda: p.find(patient_value=value, limit=500),
        "by patient and state": lambda: p.find(patient_value=value, states=(RxState.DISPENSED.value,)),
        "by tracking code": lambda: p.find(tracking_code=newest.tracking_code, limit=1),
        "by HID": lambda: p.find(hid=newest.hid, limit=1),
        "one prescription + signatures": lambda: (
            store.get_prescription(rx.id),
            store.prescription_signatures(rx.id),
        ),
        "what the exchange answered": lambda: store.exchange_results_for_prescription(rx.id),
        "outbox heads": lambda: store.outbox.heads(limit=50),
        "outbox counts": lambda: store.outbox.counts(),
        "outbox next due": lambda: store.outbox.next_due(),
        "outbox of a prescription": lambda: store.outbox.for_chain(chain_of(rx.id)),
        "outbox needing attention": lambda: store.outbox.attention(),
        "audit by patient (100)": lambda: store.audit.entries(patient=str(rx.patient.id), limit=100),
        "report: prescriptions per day, a month": lambda: reports.prescription_times(
            store, last_month, today
        ),
        "report: dispensings per day, a month": lambda: reports.dispensing_times(store, last_month, today),
        "report: prescriptions in a month": lambda: reports.prescriptions_between(store, last_month, today),
        "report: a patient's": lambda: reports.prescriptions_between(store, None, None, patient_value=value),
        "report: dispensings in a month": lambda: reports.dispensings_between(store, last_month, today),
    }
    return out


def time_lists(path: Path, repeat: int) -> dict[str, tuple[float, float, int]]:
    """Per list: (first run ms, median ms of the next `repeat`, rows) on the store reopened."""
    out = {}
    with Store.open(path, PASSPHRASE) as store:
        for name, fn in lists(store).items():
            try:
                t = time.perf_counter()
                got = fn()
                first = (time.perf_counter() - t) * 1000
                runs = []
                for _ in range(repeat):
                    t = time.perf_counter()
                    fn()
                    runs.append((time.perf_counter() - t) * 1000)
            except Exception as exc:  # noqa: BLE001 — a list whose API moved is reported, the others still timed
                print(f"  {name}: not timed ({type(exc).__name__}: {exc})")
                continue
            rows = len(got) if isinstance(got, (list, dict, tuple)) else 1
            out[name] = (first, statistics.median(runs), rows)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5_000, help="dispensed prescriptions (issue: 500000)")
    parser.add_argument("--per-commit", type=int, default=500, help="prescriptions per transaction")
    parser.add_argument("--patients", type=int, default=0, help="distinct patients (default size/4)")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per list after the first")
    parser.add_argument("--keep", help="build the store here and keep it (default: a temporary directory)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="noskhe-bench-scale-") as tmp:
        work = Path(tmp)
        tokens = devtoken.init(work / "tokens", devworld.IDENTITIES)
        trust = TrustList.from_file(tokens.trust_list)
        path = Path(args.keep) if args.keep else work / "pharmacy"
        print(
            f"building a pharmacy store of {args.size} dispensed prescriptions ({YEARS} years) …", flush=True
        )
        seconds, empty = build(
            path, tokens, trust, args.size, args.per_commit, args.patients or max(50, args.size // 4)
        )
        size = _bytes(path)
        per_rx = (size - empty) / args.size / 1024
        timed = time_lists(path, args.repeat)
    if args.json:
        lists_ms = {k: v[1] for k, v in timed.items()}
        out = {
            "size": args.size,
            "build_s": seconds,
            "bytes": size,
            "kib_per_rx": per_rx,
            "lists_ms": lists_ms,
        }
        print(json.dumps(out, indent=1))
        return 0
    print(
        f"built in {seconds:.0f} s ({args.size / seconds:.0f} prescriptions/s); store files {size / 2**20:.1f} MiB,"
        f" of which {empty / 2**20:.1f} MiB before the first prescription (reference data, trust list)"
    )
    print(f"\n{'list or lookup':<44}{'first ms':>10}{'median ms':>11}{'rows':>7}")
    for name, (first, median, rows) in timed.items():
        print(f"{name:<44}{first:>10.2f}{median:>11.2f}{rows:>7}")
    print()
    figure(f"store size per dispensed prescription ({args.size})", per_rx, SIZE_GOAL_KIB, "KiB", digits=2)
    if "today's list" in timed:
        figure(
            f"today's list on the store ({args.size} prescriptions)",
            timed["today's list"][1],
            TODAY_GOAL_MS,
            "ms",
            digits=2,
        )
    slowest = max(timed.items(), key=lambda kv: kv[1][1])
    print(f"slowest list: {slowest[0]} ({slowest[1][1]:.2f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
