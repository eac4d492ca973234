"""Crash harness: SIGKILL at random points while a clinic saves, signs and drains, then check that nothing
was lost, nothing went twice and the store is whole.

    python bench/bench_crash.py [--cycles 1000] [--seed N] [--max-delay 0.8] [--json] [--keep DIR]

One clinic store (real SQLCipher, the TEST clinic's PKCS#12 identities: the same CMS signatures as its
tokens) and one real exchange process (`noskhe exchange serve`). Each cycle forks a child Python that opens
the workstation as every front end does and works as fast as it can — write and sign new prescriptions,
sign drafts a kill left behind, edit queued or registered ones (a new signed version), drain the outbox in
batches of 1 to 20 — and kills it with SIGKILL after a random delay, wherever it is (opening the store,
loading the signers, inside a save, a signature, a batch on the wire, the transaction that applies its
answers). After every kill the parent checks:

- integrity: the store opens (its quick check), `PRAGMA cipher_integrity_check` and `integrity_check` are
  clean, and the audit log's hash chain verifies (`noskhe audit verify`: the whole chain every 25 cycles
  and at the end, the rows added since the last walk in between);
- nothing lost: every save the child reported done is in the store, at that version or later; the exchange
  holds no prescription the client does not (a registration whose local save was rolled back);
- nothing twice: the exchange counts no duplicate registration, and every prescription the client holds as
  registered has the exchange's tracking code for it.
At the end a last drain (not killed) must bring the exchange exactly the client's signed prescriptions, each
at the client's version. Prints cycles / lost / duplicates (and the other figures); exit 1 when anything was
lost, duplicated or damaged. `tests/e2e/test_crash_harness.py` runs a short version in CI.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import select
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: the child's operations, weighted: most of a clinic's day is writing; draining runs in between
OPS = ("create", "create", "create", "sign", "edit", "drain", "drain")


@dataclass
class Figures:
    """What a run found. `kills` counts kills by what the child was doing (its last reported step)."""

    cycles: int = 0
    lost: int = 0
    duplicates: int = 0
    damaged: int = 0
    audit_broken: int = 0
    saves_reported: int = 0
    prescriptions: int = 0
    registered_at_exchange: int = 0
    seconds: float = 0.0
    kills: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def ok(self) -> bool:
        return not (self.lost or self.duplicates or self.damaged or self.audit_broken)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["kills"] = dict(self.kills)
        d["problems"] = self.problems[:20]
        return d


# ---- the child ---------------------------------------------------------------------------------------------


def _say(fd: int, text: str) -> None:
    os.write(fd, (text + "\n").encode())


def child(path: Path, out: int, seed: int) -> None:
    """Work on the clinic at `path` until killed, saying each step on `out`: `step OP` before an operation,
    `saved ID VERSION` once a signed version is committed. Never returns normally."""
    from app.errors import NoskheError
    from app.services.prescribing import edit_prescription, sign_draft, write_prescription
    from exchange import devworld
    from sync.drain import Backoff
    from tests.sync import harness

    rng = random.Random(seed)
    _say(out, "step open")
    ws = harness.open_workstation(
        path, devworld.CLINIC, engine_options={"backoff": Backoff(0.01, 0.05), "patience": 0.2}
    )
    _say(out, "step signers")
    ws.signers()
    _say(out, "step login")
    ws.client.login()  # the exchange's bearer: a new process logs in once, as the CLI and the desktop do
    _say(out, "step ready")
    people = harness.patients(50)
    n = 0
    while True:
        op = rng.choice(OPS)
        _say(out, f"step {op}")
        try:
            if op == "create":
                items = [harness.SAFE_ITEMS[(n + k) % len(harness.SAFE_ITEMS)] for k in range(rng.randint(1, 3))]
                rx = write_prescription(
                    ws, patient=people[n % len(people)], prescriber=devworld.GP, items=items, notes=f"n{n}"
                )
                n += 1
                _say(out, f"saved {rx.id} {rx.version}")
            elif op == "sign":
                ids = _ids(ws.store, "draft")  # what a kill interrupted before its signature
                if ids:
                    rx = sign_draft(ws, ids[0])
                    _say(out, f"saved {rx.id} {rx.version}")
            elif op == "edit":
                ids = _ids(ws.store, "queued") + _ids(ws.store, "registered")
                if ids:
                    rx = edit_prescription(ws, rng.choice(ids), notes=f"edit {n}")
                    n += 1
                    _say(out, f"saved {rx.id} {rx.version}")
            else:
                report = ws.sync.run(batch_size=rng.choice((1, 5, 20)))
                _say(out, f"drained {report.done}")
        except NoskheError as exc:  # a refusal is an answer, not a fault: say it and go on
            _say(out, f"refused {op} {exc.code}")


def _ids(store: Any, state: str) -> list[str]:
    return [r[0] for r in store.conn().execute("SELECT id FROM prescriptions WHERE state = ? LIMIT 50", (state,))]


# ---- the parent --------------------------------------------------------------------------------------------


def _exchange_rows(ex: Any) -> dict[str, tuple[str, int]]:
    """The exchange's prescriptions: client id → (tracking code, version), read from its database."""
    with contextlib.closing(sqlite3.connect(f"file:{ex.data / 'exchange.db'}?mode=ro", uri=True, timeout=30)) as c:
        return {r[0]: (r[1], int(r[2])) for r in c.execute("SELECT client_id, tracking_code, version FROM prescriptions")}


#: the whole audit chain is walked every so many cycles (and at the end); in between, the rows added since
#: the last walk are checked against it (the chain's growth is what a kill can break)
FULL_AUDIT_EVERY = 25


def _audit_head(store: Any) -> tuple[int, str] | None:
    row = store.conn().execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else None


def _audit_since(store: Any, mark: tuple[int, str]) -> str | None:
    """Why the audit chain is broken after row `mark` = (seq, hash) last found intact, or None: that row
    unchanged, each later row linked to the one before and hashed right, the recorded head at the end."""
    from app.audit import row_hash
    from app.store.audit import ALL_COLUMNS, HEAD_KEY

    seq, prev = mark
    c = store.conn()
    kept = c.execute("SELECT hash FROM audit_log WHERE seq = ?", (seq,)).fetchone()
    if kept is None or kept[0] != prev:
        return f"row {seq} changed or went since it was checked"
    cols = ", ".join(ALL_COLUMNS)
    for v in c.execute(f"SELECT {cols}, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq", (seq,)):
        row = dict(zip(ALL_COLUMNS, v[:-2]))
        if row["seq"] != seq + 1 or v[-2] != prev or row_hash(prev, row) != v[-1]:
            return f"broken at row {seq + 1}"
        seq, prev = row["seq"], v[-1]
    head = store.metadata.get(HEAD_KEY)
    if head and head != f"{seq}:{prev}":
        return f"ends at row {seq} but was written up to {head.split(':')[0]}"
    return None


audit_mark: tuple[int, str] | None = None


def check(path: Path, ex: Any, saved: dict[str, int], figures: Figures, *, final: bool = False) -> None:
    """The checks after a kill (see the module's docstring); what fails is counted and described."""
    global audit_mark
    from app.store import Store
    from tests.sync import harness

    try:
        store = Store.open(path, harness.PASSPHRASE)
    except Exception as exc:  # noqa: BLE001 — a store that does not open is the worst finding
        figures.damaged += 1
        figures.problems.append(f"cycle {figures.cycles}: the store does not open: {exc}")
        return
    try:
        problems = store.integrity_problems()
        if problems:
            figures.damaged += 1
            figures.problems.append(f"cycle {figures.cycles}: integrity: {problems[:3]}")
        if final or figures.cycles % FULL_AUDIT_EVERY == 0 or audit_mark is None:
            _rows, broken = store.audit.verify()  # what `noskhe audit verify` walks: the whole chain
            problem = f"broken at row {broken.seq}: {broken.reason_en}" if broken is not None else None
        else:
            problem = _audit_since(store, audit_mark)
        if problem is not None:
            figures.audit_broken += 1
            figures.problems.append(f"cycle {figures.cycles}: audit chain {problem}")
        else:
            audit_mark = _audit_head(store)
        local = {
            r[0]: (r[1], int(r[2]), r[3])
            for r in store.conn().execute("SELECT id, state, version, tracking_code FROM prescriptions")
        }
    finally:
        store.close()
    for rx_id, version in saved.items():
        if rx_id not in local or local[rx_id][1] < version:
            figures.lost += 1
            figures.problems.append(f"cycle {figures.cycles}: saved {rx_id} v{version} is not in the store")
    remote = _exchange_rows(ex)
    for rx_id, (tracking, version) in remote.items():
        mine = local.get(rx_id)
        if mine is None or mine[0] == "draft":
            figures.lost += 1
            figures.problems.append(f"cycle {figures.cycles}: the exchange has {rx_id}, the client does not")
        elif mine[2] and mine[2] != tracking:
            figures.duplicates += 1
            figures.problems.append(f"cycle {figures.cycles}: {rx_id} tracked {mine[2]} here, {tracking} there")
        elif version > mine[1]:
            figures.duplicates += 1
            figures.problems.append(f"cycle {figures.cycles}: {rx_id} v{version} there, v{mine[1]} here")
    dup = int(ex.stats()["duplicate_registrations"])
    if dup:
        figures.duplicates += dup
        figures.problems.append(f"cycle {figures.cycles}: the exchange counts {dup} duplicate registration(s)")
    if final:
        signed = {k: v for k, v in local.items() if v[0] != "draft"}
        figures.prescriptions = len(signed)
        figures.registered_at_exchange = len(remote)
        for rx_id, (state, version, _tracking) in signed.items():
            there = remote.get(rx_id)
            if there is None:
                figures.lost += 1
                figures.problems.append(f"end: {rx_id} ({state}) never reached the exchange")
            elif there[1] != version:
                figures.lost += 1
                figures.problems.append(f"end: {rx_id} is v{version} here, v{there[1]} there")
        stats = ex.stats()
        if int(stats["events"].get("registered", 0)) != len(remote):
            figures.duplicates += 1
            figures.problems.append(f"end: {stats['events'].get('registered')} registrations for {len(remote)}")


def one_cycle(path: Path, rng: random.Random, max_delay: float, saved: dict[str, int]) -> str:
    """Fork a child, let it work, kill it after a random delay; returns its last step. `saved` gains what
    it reported saved before the kill."""
    r, w = os.pipe()
    seed = rng.randrange(1 << 30)
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(r)
        code = 0
        try:
            child(path, w, seed)
        except BaseException:  # noqa: BLE001 — a child's crash shows as its last step
            import traceback

            with contextlib.suppress(OSError):
                _say(w, "crashed " + traceback.format_exc().replace("\n", " | ")[-600:])
            code = 70
        os._exit(code)
    os.close(w)
    # one kill in ten lands while the child starts (opening the store, loading the signers, logging in);
    # the others once it is working, so that they spread over saves, signatures and drains
    early = rng.random() < 0.1
    delay = rng.uniform(0.0, 0.5 if early else max_delay)
    mark = b"step open" if early else b"step ready"
    buf = b""
    deadline = time.monotonic() + delay
    ready = False
    while True:
        timeout = max(0.0, deadline - time.monotonic()) if ready else 30.0
        got, _, _ = select.select([r], [], [], timeout)
        if not got:
            break
        chunk = os.read(r, 65536)
        if not chunk:
            break
        buf += chunk
        if not ready and mark in buf:
            ready, deadline = True, time.monotonic() + delay
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        buf += chunk
    os.close(r)
    last = "none"
    for line in buf.decode(errors="replace").splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "saved":
            saved[parts[1]] = max(saved.get(parts[1], 0), int(parts[2]))
            last = "after-save"
        elif parts[0] == "step":
            last = parts[1]
        elif parts[0] == "crashed":
            raise RuntimeError(f"the child crashed: {line}")
    return last


def final_drain(path: Path) -> None:
    """Drain everything left, in a child that is not killed (the client's whole queue, until empty)."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            from exchange import devworld
            from sync.drain import Backoff
            from tests.sync import harness

            ws = harness.open_workstation(
                path, devworld.CLINIC, engine_options={"backoff": Backoff(0.01, 0.05), "patience": 0.5}
            )
            for _ in range(20):
                ws.store.outbox.due_now()
                if ws.sync.run(batch_size=50).remaining == 0:
                    break
            ws.close()
        except BaseException:  # noqa: BLE001
            import traceback

            traceback.print_exc()
            code = 70
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("the last drain failed")


def run(
    cycles: int, *, seed: int = 1, max_delay: float = 0.8, workdir: Path | None = None, progress: int = 0
) -> Figures:
    """Set up a clinic and an exchange in `workdir` (a new temporary folder by default) and run `cycles`
    kill cycles, then the last drain; returns the figures. `progress`: a line on stderr every so many
    cycles (0: none)."""
    # what the children use, imported once here so that each fork starts warm
    import app.services.prescribing  # noqa: F401
    import smartcard.p12  # noqa: F401
    import sync.engine  # noqa: F401
    from exchange import devworld
    from smartcard import devtoken
    from tests.sync import harness

    own = workdir is None
    root = Path(tempfile.mkdtemp(prefix="noskhe-crash-")) if own else Path(workdir)  # type: ignore[arg-type]
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    figures = Figures()
    tokens = devtoken.init(root / "tokens", devworld.IDENTITIES)
    ex = harness.ProcessExchange(root / "exchange", tokens.trust_list).start()
    try:
        path = root / "clinic"
        harness.new_workstation(path, devworld.CLINIC, tokens, ex.url).close()
        saved: dict[str, int] = {}
        start = time.monotonic()
        for i in range(cycles):
            figures.cycles = i + 1
            figures.kills[one_cycle(path, rng, max_delay, saved)] += 1
            check(path, ex, saved, figures)
            if progress and figures.cycles % progress == 0:
                took = time.monotonic() - start
                print(
                    f"  {figures.cycles} cycles, lost {figures.lost}, duplicates {figures.duplicates}, "
                    f"damaged {figures.damaged} ({took:.0f} s)",
                    file=sys.stderr, flush=True,
                )
        final_drain(path)
        check(path, ex, saved, figures, final=True)
        figures.saves_reported = len(saved)
        figures.seconds = time.monotonic() - start
    finally:
        ex.stop()
        if own:
            shutil.rmtree(root, ignore_errors=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=1000, help="kill cycles (default 1000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-delay", type=float, default=0.8, help="longest wait before a kill, once working (s)")
    parser.add_argument("--json", action="store_true", help="the figures as one JSON object")
    parser.add_argument("--keep", type=Path, help="work in this folder and leave it there")
    args = parser.parse_args(argv)
    if not shutil.which("softhsm2-util"):
        print("bench_crash: SoftHSM2 is not installed (apt install softhsm2); skipped")
        return 0
    f = run(args.cycles, seed=args.seed, max_delay=args.max_delay, workdir=args.keep, progress=0 if args.json else 50)
    if args.json:
        print(json.dumps(f.to_dict(), ensure_ascii=False))
    else:
        print(f"cycles {f.cycles} / lost {f.lost} / duplicates {f.duplicates}")
        print(
            f"damaged stores {f.damaged}, broken audit chains {f.audit_broken}; {f.prescriptions} prescriptions "
            f"signed, {f.registered_at_exchange} at the exchange, {f.saves_reported} saves reported; "
            f"{f.seconds:.0f} s ({f.seconds / max(1, f.cycles) * 1000:.0f} ms a cycle)"
        )
        print("killed during: " + ", ".join(f"{k} {v}" for k, v in f.kills.most_common()))
        for p in f.problems[:20]:
            print("  " + p)
    return 0 if f.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
