"""Dispensing at the pharmacy:

    noskhe dispense RX --line LINE[:QTY[:CODE,CODE…]] … [--offline] [--no-ttac] [--json]
    noskhe dispense --release RX

RX is a prescription id or tracking code kept in this store (see `noskhe rx retrieve`). Online, the
prescription is claimed first (a second pharmacy is told at once who holds or dispensed it) and every pack's
16-digit authenticity code is checked with TTAC; then the dispensing is signed (pharmacist + pharmacy seal),
queued and sent. `--offline` skips the claim and the checks (paper prescription, no network): the exchange
checks everything when the dispensing reaches it, and a double dispensing comes back as a conflict.
"""

from __future__ import annotations

import json
from typing import Any

from app.errors import NoskheError


def register(sub: Any) -> None:
    p = sub.add_parser("dispense", help="claim, check packs, sign and queue a dispensing")
    p.add_argument("rx", nargs="?", help="prescription id or tracking code")
    p.add_argument(
        "--line",
        action="append",
        default=[],
        metavar="LINE[:QTY[:CODE,CODE]]",
        help="a prescription line handed over, with the packs' TTAC codes; repeatable",
    )
    p.add_argument("--all", action="store_true", help="every line not yet dispensed, as prescribed")
    p.add_argument("--offline", action="store_true", help="no claim, no TTAC check: queue only")
    p.add_argument("--no-ttac", action="store_true", help="skip the online TTAC check")
    p.add_argument("--release", metavar="RX", help="give up this pharmacy's claim on a prescription")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_dispense)


def _refuse_bad_packs(checks: list[dict[str, Any]], drug_of: dict[str, str]) -> None:
    for c in checks:
        status = c.get("status")
        if status == "genuine" and c.get("drug") == drug_of[c["code"]]:
            continue
        why = {
            "unknown": ("is unknown to TTAC", "در سامانهٔ ردیابی نیست"),
            "dispensed": (
                f"was already dispensed ({c.get('dispensedBy')} at {c.get('dispensedAt')})",
                "پیش‌تر تحویل شده است",
            ),
            "expired": ("is expired", "تاریخ گذشته است"),
        }.get(status, (f"is not drug {drug_of[c['code']]}", "با داروی این ردیف جور نیست"))
        raise NoskheError(
            f"Pack {c['code']} {why[0]}; it must not be handed out.",
            f"بسته با کد اصالت {c['code']} {why[1]}؛ نباید تحویل شود.",
            code=c["code"],
            status=status,
        )


def cmd_dispense(args: Any, ctx: Any) -> int:
    from app.cli.cmd_rx import find
    from app.cli.cmd_sync import open_sync
    from app.services.dispensing import DispenseLine, record_dispensing
    from sync import signers
    from sync.client import ExchangeUnavailable
    from sync.retrieve import check_packs

    if args.release:
        engine = open_sync(ctx)
        rx = find(engine.store, args.release)
        print(json.dumps(engine.client.release(rx.id, None), ensure_ascii=False))
        return 0
    if not args.rx:
        raise NoskheError("Name the prescription to dispense.", "نسخه‌ای را که پیچیده می‌شود نام ببرید.")
    store = ctx.open_store()
    rx = find(store, args.rx)
    lines = [DispenseLine.parse(t) for t in args.line]
    if args.all:
        lines += [DispenseLine(it.line) for it in rx.items if it.line not in rx.dispensed_lines]
    trust = signers.trust_list(store)
    from app.cli.common import ask_pin

    user = signers.user_signer(store, trust, pin=ask_pin)
    seal = signers.facility_signer(store, trust, ctx.passphrase)
    claim = None
    engine = None
    if not args.offline:
        engine = open_sync(ctx)
        try:
            claim = engine.client.claim(rx.tracking_code or rx.id)["claim"]
            drug_of = {
                p.authenticity_code: next(it.drug_code for it in rx.items if it.line == ln.line)
                for ln in lines
                for p in ln.packs
            }
            if drug_of and not args.no_ttac:
                _refuse_bad_packs(check_packs(engine.client, list(drug_of)), drug_of)
        except ExchangeUnavailable as exc:
            print(f"exchange unreachable, dispensing offline: {exc.en} | بدون اتصال ادامه می‌دهیم")
            engine = None
    who = user.identity()
    from app.domain import Pharmacist

    pharmacist = Pharmacist(who.name, who.pharmacist_licence or "", who.national_code or "")
    d = record_dispensing(store, rx.id, pharmacist=pharmacist, lines=lines, signers=[user, seal], claim=claim)
    out: dict[str, Any] = {
        "dispensing": d.id,
        "prescription": rx.id,
        "state": d.state,
        "lines": [i.line for i in d.items],
        "cost": d.cost.to_dict(),
    }
    if engine is not None:
        report = engine.run()
        d = store.get_dispensing(d.id)
        out.update(
            state=d.state,
            sync={"done": report.done, "conflicts": report.conflicts, "rejected": report.rejected},
        )
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        print(
            f"dispensing {d.id}: {d.state}; lines {out['lines']}; insurer {d.cost.insurer:,}, patient {d.cost.patient:,} rials"
        )
        if d.state in ("conflict", "rejected"):
            print("needs attention: `noskhe sync attention` | نیاز به اقدام")
    return 0 if d.state not in ("conflict", "rejected") else 1
