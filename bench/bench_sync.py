"""Sync throughput against a real exchange process on loopback.

1. drain throughput, prescriptions per second, batched vs one by one, over the same queued prescriptions;
2. time from reconnection to an empty outbox: N prescriptions queued while the exchange is down, the engine
   running its schedules (probe every second); the exchange comes up; how long until every prescription is
   registered (probe detection + drain);
3. the exchange's registrations per second with 1 / 4 / 16 clients at once (each a process draining its own
   stores, batched), with one worker process and with the default number (`--exchange-only` runs just this).

Each prescription is two outbox rows (eligibility for the visit's HID, then the registration), each a signed
FHIR bundle verified by the exchange (prescriber + facility CMS).

    python bench/bench_sync.py [--n 1000] [--batch 50] [--json] [--exchange-only] [--clients 1,4,16]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from measure import figure, tree_cpu_seconds

from app.domain import Coverage, Patient, PatientId
from app.prompter import FixedPrompter
from app.services.outbox import Outbox
from app.services.prescribing import ItemRequest, write_prescription
from app.store import Store
from app.workstation import Workstation
from exchange import devworld, seed
from exchange.process import ExchangeProcess, free_port
from smartcard import devtoken
from smartcard.p12 import P12Signer
from smartcard.trustlist import TrustList
from sync.client import ExchangeClient
from sync.drain import Backoff, Drainer
from sync.engine import SyncEngine

PASSPHRASE = "bench passphrase"
GOAL_S = 5.0  # the goal: 1,000 queued prescriptions → outbox empty, seconds (scaled with --n)
GOAL_SPEEDUP = 5.0  # batched over one by one
ITEMS = (
    ItemRequest("101002", 21, "هر ۸ ساعت"),
    ItemRequest("103011", 10, "شب"),
    ItemRequest("105040", 20, "صبح"),
)


class Exchange(ExchangeProcess):
    def start(self) -> float:  # type: ignore[override]
        """Start and wait until it listens; returns the moment it did (time.monotonic)."""
        super().start()
        assert self.listening_at is not None
        return self.listening_at


def signer(tokens: Any, trust: TrustList, label: str) -> P12Signer:
    ident = next(i for i in devworld.IDENTITIES if i.label == label)
    return P12Signer(tokens.p12(label), devworld.P12_PASSPHRASES[label], trust, role=ident.role)


def write_queue(path: Path, tokens: Any, trust: TrustList, n: int) -> float:
    store = Store.create(path, PASSPHRASE, role="clinic", facility=devworld.CLINIC.siam, kdf_log2_n=10)
    trust.save(store)
    ws = Workstation(store, FixedPrompter())
    ws.use_signers(signer(tokens, trust, "noskhe-gp"), signer(tokens, trust, "noskhe-clinic"))
    people = [p for p in seed.persons() if p["kind"] == "national-code" and p["coverages"]]
    start = time.monotonic()
    for i in range(n):
        p = people[i % len(people)]
        plan = p["coverages"][0]
        patient = Patient(
            PatientId("national-code", p["value"]),
            p["first_name"],
            p["last_name"],
            coverage=Coverage(plan.split("-")[0], scheme=plan if "-" in plan else ""),
        )
        write_prescription(
            ws, patient=patient, prescriber=devworld.GP, items=[ITEMS[i % 3], ITEMS[(i + 1) % 3]]
        )
    store.close()
    return time.monotonic() - start


def drain_rate(
    template: Path, work: Path, tokens: Any, trust: TrustList, n: int, batch: int
) -> dict[str, Any]:
    path = work / f"clinic-batch-{batch}"
    shutil.copytree(template, path)
    ex = Exchange(work / f"exchange-batch-{batch}", tokens.trust_list, free_port())
    ex.start()
    try:
        with Store.open(path, PASSPHRASE) as store:
            client = ExchangeClient(ex.url, signer(tokens, trust, "noskhe-clinic"), siam=store.facility_siam)
            client.login()
            start, cpu, ex_cpu = time.monotonic(), time.process_time(), tree_cpu_seconds(ex.proc.pid)
            report = Drainer(
                store, client, batch_size=batch, backoff=Backoff(0.05, 1.0), patience=2.0
            ).drain()
            seconds, cpu = time.monotonic() - start, time.process_time() - cpu
            ex_after = tree_cpu_seconds(ex.proc.pid)
            assert report.remaining == 0 and report.done == 2 * n, report
    finally:
        ex.stop()
    return {
        "batch": batch,
        "seconds": round(seconds, 2),
        "requests": report.requests,
        "prescriptions_per_s": round(n / seconds, 1),
        "rows_per_s": round(2 * n / seconds, 1),
        # where the time goes: this process (building, applying, HTTP) and the exchange's processes
        "client_cpu_s": round(cpu, 2),
        "exchange_cpu_s": round(ex_after - ex_cpu, 2) if ex_cpu is not None and ex_after is not None else None,
    }


def reconnection(
    template: Path, work: Path, tokens: Any, trust: TrustList, n: int, batch: int
) -> dict[str, Any]:
    path = work / "clinic-reconnect"
    shutil.copytree(template, path)
    ex = Exchange(work / "exchange-reconnect", tokens.trust_list, free_port())
    store = Store.open(path, PASSPHRASE)
    client = ExchangeClient(
        ex.url, signer(tokens, trust, "noskhe-clinic"), siam=store.facility_siam, timeout=(1.0, 30.0)
    )
    engine = SyncEngine(
        store,
        client,
        batch_size=batch,
        backoff=Backoff(2.0, 300.0),
        drain_every=30.0,
        probe_every=1.0,
        refresh_every=6 * 3600.0,
        patience=2.0,
    )
    seen: dict[str, float] = {}
    engine.listeners.append(lambda event, _: seen.setdefault(event, time.monotonic()))
    try:
        engine.run()  # the exchange is down: everything stays queued, rows get their backoff
        engine.start()
        time.sleep(1.5)
        up = ex.start()
        while Outbox(store).counts()["pending"]:
            time.sleep(0.02)
        empty = time.monotonic()
    finally:
        engine.stop()
        ex.stop()
        store.close()
    return {
        "queued": n,
        "to_online_s": round(seen.get("online", up) - up, 2),
        "to_empty_s": round(empty - up, 2),
    }


def _client(paths: list[str], url: str, tokens: Any, trust: TrustList, ready: Any, go: Any, out: Any) -> None:
    """One client process of `exchange_rate` (forked): log in, wait for the start, drain each store."""
    client = ExchangeClient(
        url, signer(tokens, trust, "noskhe-clinic"), siam=devworld.CLINIC.siam, timeout=(5.0, 120.0)
    )
    client.login()
    ready.wait()
    go.wait()
    done = 0
    for path in paths:
        with Store.open(Path(path), PASSPHRASE) as store:
            report = Drainer(store, client, batch_size=50, backoff=Backoff(0.05, 1.0), patience=5.0).drain()
            done += report.done
    out.put(done)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` and its live children (the exchange's workers), from /proc
    (0 where /proc is not there)."""
    import os

    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
        for p in pids:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    except (OSError, ValueError, IndexError):
        return 0.0
    return total


def exchange_rate(
    stores: list[Path], work: Path, tokens: Any, trust: TrustList, clients: int, workers: int, n: int
) -> dict[str, Any]:
    """Registrations per second at an exchange with `workers` worker processes while `clients` processes
    drain copies of `stores` (split between them) at once; every store's prescriptions are `n` in all."""
    import multiprocessing as mp

    run = work / f"rate-{clients}-{workers}"
    copies = []
    for i, src in enumerate(stores):
        shutil.copytree(src, run / f"store-{i}")
        copies.append(str(run / f"store-{i}"))
    ex = Exchange(run / "exchange", tokens.trust_list, free_port(), extra=("--workers", str(workers)))
    ex.start()
    ctx = mp.get_context("fork")
    ready, go, out = ctx.Barrier(clients + 1), ctx.Barrier(clients + 1), ctx.Queue()
    procs = [
        ctx.Process(
            target=_client,
            args=(copies[i::clients], ex.url, tokens, trust, ready, go, out),
        )
        for i in range(clients)
    ]
    try:
        for p in procs:
            p.start()
        ready.wait(120)
        assert ex.proc is not None
        cpu = _cpu_seconds(ex.proc.pid)
        start = time.monotonic()
        go.wait(10)
        rows = sum(out.get(timeout=600) for _ in procs)
        seconds = time.monotonic() - start
        cpu = _cpu_seconds(ex.proc.pid) - cpu
        for p in procs:
            p.join(30)
    finally:
        ex.stop()
    assert rows == 2 * n, rows
    return {
        "clients": clients,
        "workers": workers,
        "seconds": round(seconds, 2),
        "registrations_per_s": round(n / seconds, 1),
        # the exchange's own CPU per registration (with its eligibility call): less noisy than the rate on a
        # shared machine, and what the rate would be per core with nothing else running
        "exchange_cpu_ms_per_registration": round(1000 * cpu / n, 1),
    }


def rates(work: Path, tokens: Any, trust: TrustList, n: int, clients: list[int]) -> list[dict[str, Any]]:
    """`exchange_rate` for each number of clients, with one worker and with the default number."""
    from exchange.http import default_workers

    per = max(1, n // max(clients))
    stores = [work / f"rate-template-{i}" for i in range(max(clients))]
    for path in stores:
        write_queue(path, tokens, trust, per)
    total = per * len(stores)
    out = []
    for workers in sorted({1, default_workers()}):
        for k in clients:
            out.append(exchange_rate(stores, work, tokens, trust, k, workers, total))
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--batch", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.add_argument("--exchange-only", action="store_true", help="only the registrations per second")
    p.add_argument("--clients", default="1,4,16", help="numbers of clients at once (comma-separated)")
    p.add_argument("--rate-n", type=int, default=480, help="prescriptions registered per rate run")
    args = p.parse_args()
    clients = [int(k) for k in args.clients.split(",")]
    with tempfile.TemporaryDirectory(prefix="noskhe-bench-sync-") as tmp:
        work = Path(tmp)
        tokens = devtoken.init(work / "tokens", devworld.IDENTITIES)
        trust = TrustList.from_file(tokens.trust_list)
        measured = rates(work, tokens, trust, args.rate_n, clients)
        if args.exchange_only:
            _print_rates(measured, args.json)
            return 0
        written = write_queue(work / "template", tokens, trust, args.n)
        batched = drain_rate(work / "template", work, tokens, trust, args.n, args.batch)
        single = drain_rate(work / "template", work, tokens, trust, args.n, 1)
        reconnect = reconnection(work / "template", work, tokens, trust, args.n, args.batch)
    out = {
        "n": args.n,
        "write_and_sign_s": round(written, 1),
        "batched": batched,
        "one_by_one": single,
        "speedup": round(batched["prescriptions_per_s"] / single["prescriptions_per_s"], 2),
        "reconnection": reconnect,
        "exchange_rates": measured,
    }
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    _print_rates(measured, False)
    print(
        f"{args.n} prescriptions written and signed offline in {out['write_and_sign_s']} s "
        "(prescriber + facility CMS each)"
    )
    for name, r in (("batched", batched), ("one by one", single)):
        print(
            f"drain {name:<11} batch {r['batch']:>3}: {r['prescriptions_per_s']:>7} prescriptions/s "
            f"({r['rows_per_s']} outbox rows/s, {r['requests']} requests, {r['seconds']} s)"
        )
    print(f"batched / one by one: {out['speedup']}×")
    print(
        f"reconnection → online detected in {reconnect['to_online_s']} s, outbox empty after "
        f"{reconnect['to_empty_s']} s ({args.n} prescriptions queued)"
    )
    for name, r in (("batched", batched), ("one by one", single)):
        print(
            f"where the time goes, {name}: {r['seconds']} s wall; CPU: this client {r['client_cpu_s']} s, "
            f"the exchange {r['exchange_cpu_s']} s (rounds overlap: the client applies while the exchange works)"
        )
    figure(f"{args.n} queued prescriptions → outbox empty (loopback)", batched["seconds"], GOAL_S * args.n / 1000, "s")
    figure("drain batched vs one by one", out["speedup"], GOAL_SPEEDUP, "×", higher_is_better=True, digits=2)
    return 0


def _print_rates(measured: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"exchange_rates": measured}, indent=1))
        return
    for r in measured:
        print(
            f"exchange, {r['workers']} worker(s), {r['clients']:>2} client(s) at once: "
            f"{r['registrations_per_s']:>6} registrations/s ({r['seconds']} s; "
            f"exchange CPU {r['exchange_cpu_ms_per_registration']} ms per registration)"
        )


if __name__ == "__main__":
    sys.exit(main())
