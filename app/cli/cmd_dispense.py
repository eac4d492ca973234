"""Dispensing at the pharmacy:

    noskhe dispense RX --line LINE[:QTY[:CODE,CODE…]] … [--offline] [--no-ttac] [--json]
    noskhe dispense --paper QR_TEXT | --paper - | --paper-image FILE.png  --line … | --all [--json]
    noskhe dispense --release RX

RX is a prescription id or tracking code kept in this store (see `noskhe rx retrieve`). Online, the
prescription is claimed first (a second pharmacy is told at once who holds or dispensed it) and every pack's
16-digit authenticity code is checked with TTAC; then the dispensing is signed (pharmacist + pharmacy seal),
queued and sent. `--offline` skips the claim and the checks (paper prescription, no network): the exchange
checks everything when the dispensing reaches it, and a double dispensing comes back as a conflict.

`--paper` dispenses from a paper prescription's signed QR (its text, `-` for standard input, or
`--paper-image` for a scan read with zbarimg): the payload is verified offline against the trust list (a
tampered, cut or unknown-signer payload is refused in one line and nothing is written), the prescription is
kept as `rx import-paper` keeps it, and the dispensing is signed and queued, offline like `--offline`;
`noskhe sync run` (or the background sync) delivers it.
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
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--paper", metavar="QR_TEXT", help="dispense from a paper prescription's QR text (- for stdin)"
    )
    src.add_argument("--paper-image", metavar="FILE", help="a scan of the paper: the QR read with zbarimg")
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
    paper = args.paper is not None or args.paper_image is not None
    if paper and args.rx:
        raise NoskheError(
            "Give either a prescription or a paper QR, not both.", "یا نسخه را نام ببرید یا کد QR کاغذی را."
        )
    if not (args.rx or paper):
        raise NoskheError("Name the prescription to dispense.", "نسخه‌ای را که پیچیده می‌شود نام ببرید.")
    lines = [DispenseLine.parse(t) for t in args.line]
    store = ctx.open_store()
    if paper:  # verified before anything is written or a PIN is asked
        from app.cli.cmd_print import read_qr_image
        from app.cli.cmd_rx import keep_paper, paper_texts, read_paper

        texts = read_qr_image(args.paper_image) if args.paper_image else paper_texts(args.paper)
        rx = read_paper(store, texts)
    else:
        rx = find(store, args.rx)
    trust = signers.trust_list(store)
    from app.cli.common import ask_pin

    user = signers.user_signer(store, trust, pin=ask_pin)
    seal = signers.facility_signer(store, trust, ctx.passphrase)
    if paper:
        rx = keep_paper(store, rx)
    if args.all:
        lines += [DispenseLine(it.line) for it in rx.items if it.line not in rx.dispensed_lines]
    claim = None
    engine = None
    if not (args.offline or paper):
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
    if paper:
        out["source"] = "paper (verified offline)"
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
        if paper:
            print(
                f"from paper prescription {rx.id}, verified offline; `noskhe sync run` sends it"
                " | از نسخه کاغذی تأییدشده؛ در همگام‌سازی فرستاده می‌شود"
            )
        if d.state in ("conflict", "rejected"):
            print("needs attention: `noskhe sync attention` | نیاز به اقدام")
    return 0 if d.state not in ("conflict", "rejected") else 1
