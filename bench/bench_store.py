"""Store benchmarks: catalog search over 20,000 drugs, store open time, and the price of encryption.

    python bench/bench_store.py [--n-drugs 20000] [--n-rx 2000]

Prints figures and ratios; not a test (shared machines are noisy).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from measure import figure, percentile

from app.store import Store
from tests.conftest import make_prescription

PASS = "bench passphrase"
SEARCH_GOAL_MS = 10.0  # the goal: first keystroke, 20k catalog, p95


def bench_catalog(tmp: Path, n: int) -> None:
    from app.reference.generate import generate_catalog

    rows = generate_catalog(n=n, seed=1)
    store = Store.create(tmp / "cat", PASS, role="pharmacy", facility="12345678", seed_reference_data=False)
    t = time.perf_counter()
    store.catalog.load(rows)
    load_s = time.perf_counter() - t
    rng = random.Random(7)
    queries = []
    for row in rng.sample(rows, 200):
        fa, en = row["generic_fa"], row["generic_en"]
        queries += [fa[: rng.randint(2, max(2, len(fa)))], en[: rng.randint(3, max(3, len(en)))].lower(), row["code"][:4]]
    # The first keystroke: one letter (Persian or Latin) or one digit, as a search box sends it.
    firsts = [row["generic_fa"][0] for row in rng.sample(rows, 100)] + [
        row["generic_en"][0].lower() for row in rng.sample(rows, 100)] + [row["code"][0] for row in rng.sample(rows, 40)]
    typos = ["amoxicilin", "azitromycin", "paracetanol", "paracetamol", "پاراستامول", "brufen", "بروفن"]
    store.catalog.search("amoxicilin")  # the typo vocabulary is read once per process
    timed = {}
    for label, qs in (("", queries), ("first keystroke, ", firsts), ("names, brands and typos, ", typos * 10)):
        times = []
        for q in qs:
            t = time.perf_counter()
            store.catalog.search(q, limit=20)
            times.append((time.perf_counter() - t) * 1000)
        timed[label] = (len(qs), times)
    store.close()
    print(f"catalog: {n} drugs loaded in {load_s:.2f} s")
    for label, (count, times) in timed.items():
        print(f"catalog search over {n} drugs, {label}{count} queries: p50 {percentile(times, 50):.2f} ms, "
              f"p95 {percentile(times, 95):.2f} ms, max {max(times):.2f} ms")
    figure(f"drug search, first keystroke, {n // 1000}k catalog, p95", percentile(timed["first keystroke, "][1], 95),
           SEARCH_GOAL_MS, "ms", digits=2)


def bench_open(tmp: Path) -> None:
    path = tmp / "open"
    Store.create(path, PASS, role="clinic", facility="12345678").close()
    times = []
    for _ in range(5):
        t = time.perf_counter()
        Store.open(path, PASS).close()
        times.append(time.perf_counter() - t)
    print(f"store open (scrypt unwrap + SQLCipher key + first query): median {statistics.median(times) * 1000:.0f} ms")


def _insert(store: Store, n: int) -> float:
    rxs = [make_prescription() for _ in range(n)]
    t = time.perf_counter()
    for rx in rxs:
        store.save_prescription(rx)
    return n / (time.perf_counter() - t)


def bench_encryption(tmp: Path, n: int) -> None:
    enc = Store.create(tmp / "enc", PASS, role="clinic", facility="12345678", seed_reference_data=False)
    enc_rate = _insert(enc, n)
    enc.close()
    # The same Store code on a database opened without a key: plain SQLite, same pragmas and workload.
    plain = Store(tmp / "plain", os.urandom(32))
    (tmp / "plain").mkdir()
    plain.db.key_pragma = "PRAGMA user_version"
    plain.db.migrate()
    plain.metadata.set_many({"role": "clinic", "facility": "12345678"})
    plain_rate = _insert(plain, n)
    plain.close()
    print(f"insert {n} prescriptions (1 transaction each, WAL, synchronous=FULL, audited):")
    print(f"  SQLCipher {enc_rate:.0f}/s, plain SQLite {plain_rate:.0f}/s, ratio {plain_rate / enc_rate:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-drugs", type=int, default=20000)
    ap.add_argument("--n-rx", type=int, default=2000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        bench_open(tmp)
        bench_encryption(tmp, args.n_rx)
        bench_catalog(tmp, args.n_drugs)


if __name__ == "__main__":
    main()
