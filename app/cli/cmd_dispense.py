"""Dispensing at the pharmacy:

    noskhe dispense RX --line LINE[:QTY[:CODE,CODE…]] … [--all] [--offline] [--json]
                       [--substitute LINE:DRUG …] [--service-start TIME] [--service-end TIME]
                       [--no-ttac-reason TEXT [--no-ttac]] [--payment-id ID] [--pos-terminal ID]
    noskhe dispense --paper QR_TEXT | --paper - | --paper-image FILE.png  --line … | --all [--json]
    noskhe dispense --release RX

RX is a prescription id or tracking code kept in this store (see `noskhe rx retrieve`). A line may be
dispensed in parts: `--line 1:15:CODE` hands over 15 units of line 1, a later `--line 1::CODE` (or `--all`)
the units that remain; `rx show` shows 15/20 meanwhile, and the prescription is partially dispensed until
every line is complete. `--all` takes what remains of every line not named by `--line`.

Every pack handed over carries its 16-digit TTAC authenticity code (9-2-7). Online, the prescription is
claimed first (a second pharmacy is told at once who holds or dispensed it; a cancelled one is refused and
remembered) and every code is checked with TTAC; then the dispensing is signed (pharmacist + pharmacy seal),
queued and sent. `--offline` skips the claim and queues the checks (no network): the exchange checks every
code when the dispensing reaches it, a pack it does not vouch for and a double dispensing come back as
items that need attention (`noskhe sync attention`). A line without codes, or `--no-ttac` (no online
check), needs `--no-ttac-reason TEXT`, which is signed with the dispensing and seen by the exchange.
A prescription this workstation knows as cancelled, rejected or fully dispensed is refused at once.

Section 7's legal elements are signed with every dispensing: `--payment-id` (the patient's electronic
payment id) and `--pos-terminal` (the POS terminal's id) when given — checked before any PIN is asked —,
and by itself the provider user id (this pharmacy's SIAM id and the pharmacist's national code), the
pharmacy's national id (`noskhe sync config --facility-national-id`) and the start and end of the service.

`--substitute 1:190001` hands over another product of line 1's interchangeable group (a brand or
another manufacturer of the same generic, form and strength; `noskhe catalog` lists them) in place of the
prescribed one, unless the prescriber marked the line no substitution (`rx create --item CODE!:…`): it is
priced at its own price, its packs are its own, and the dispensing names both products (FHIR
MedicationDispense.substitution). `--service-start`/`--service-end` set the start and end of the service (7-7),
checked as `rx create`'s are (not in the future, no end before the start) before any PIN is asked.

`--paper` dispenses from a paper prescription's signed QR (its text, `-` for standard input, or
`--paper-image` for a scan read with zbarimg): the payload is verified offline against the trust list (a
tampered, cut or unknown-signer payload is refused in one line and nothing is written), the prescription is
kept as `rx import-paper` keeps it and, when the exchange answers and knows the prescription, claimed
first like a retrieved one (a cancelled or dispensed paper is refused then, and remembered); with
`--offline`, or when the exchange does not answer or does not know it yet, the dispensing is signed and
queued and `noskhe sync run` (or the background sync) delivers it. A paper copy kept here learns of a
cancellation at the next `noskhe sync run`, and is refused at once after that, offline too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.cli.context import Context
    from app.costs import Settlement
    from app.domain import Prescription
    from app.workstation import Workstation
    from sync.counter import DispenseResult


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
    p.add_argument("--all", action="store_true", help="what remains of every line not named by --line")
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--paper", metavar="QR_TEXT", help="dispense from a paper prescription's QR text (- for stdin)"
    )
    src.add_argument("--paper-image", metavar="FILE", help="a scan of the paper: the QR read with zbarimg")
    p.add_argument("--offline", action="store_true", help="no claim; the TTAC check is queued with it")
    p.add_argument("--no-ttac", action="store_true", help="skip the online TTAC check (needs a reason)")
    p.add_argument(
        "--no-ttac-reason",
        metavar="TEXT",
        help="why packs go without TTAC codes or checks; signed with the dispensing",
    )
    p.add_argument(
        "--payment-id", metavar="ID", help="the patient's electronic payment id (the bank's reference)"
    )
    p.add_argument("--pos-terminal", metavar="ID", help="the POS terminal's id (tax), 6-16 letters or digits")
    p.add_argument(
        "--substitute",
        action="append",
        default=[],
        metavar="LINE:CODE",
        help="hand over another product of the line's interchangeable group (allowed unless the prescriber"
        " forbade it); repeatable",
    )
    for edge in ("start", "end"):
        p.add_argument(
            f"--service-{edge}",
            metavar="TIME",
            help=f"when the dispensing {'began' if edge == 'start' else 'ended'} (10:30, 1405/09/09 10:30,"
            f" ISO); default {'now' if edge == 'start' else 'the signature'}",
        )
    p.add_argument("--release", metavar="RX", help="give up this pharmacy's claim on a prescription")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_dispense)


def _paper(args: Any, ws: Workstation) -> Callable[[], Prescription] | None:
    """The paper prescription's reader for `dispense`: called once the arguments are checked."""
    if args.paper is None and args.paper_image is None:
        return None
    from app.cli.cmd_print import qr_texts
    from printing.pharmacy import read_paper, read_qr_image

    return lambda: read_paper(
        ws, read_qr_image(args.paper_image) if args.paper_image else qr_texts(args.paper)
    )


def cmd_dispense(args: Any, ctx: Context) -> int:
    from app.legal import payment_fields, service_time
    from app.services.dispensing import DispenseLine, parse_substitutes
    from sync.counter import dispense, release_claim

    if args.release:
        print(json.dumps(release_claim(ctx.workstation(), args.release).answer, ensure_ascii=False))
        return 0
    lines = [DispenseLine.parse(t) for t in args.line]
    payment, pos = payment_fields(args.payment_id, args.pos_terminal)  # refused before a PIN is asked
    ws = ctx.workstation()
    done = dispense(
        ws,
        ref=args.rx,
        paper=_paper(args, ws),
        lines=lines,
        all_lines=args.all,
        offline=args.offline,
        ttac=not args.no_ttac,
        ttac_reason=args.no_ttac_reason,
        payment_id=payment,
        pos_terminal_id=pos,
        substitutes=parse_substitutes(args.substitute),
        service_start=service_time(args.service_start),
        service_end=service_time(args.service_end),
    )
    from app.services.checking import dispensing_settlement

    _show(done, args.json, dispensing_settlement(ws.store, done.dispensing))
    return 1 if done.needs_attention else 0


TTAC_SAID = {
    "checked": "packs checked with TTAC | کد اصالت بسته‌ها استعلام شد",
    "queued": "TTAC check queued: the exchange checks the packs when it is sent | استعلام کد اصالت در صف است",
    "skipped": "no TTAC check | بدون استعلام کد اصالت",
}


def _show(done: DispenseResult, as_json: bool, settlement: Settlement | None = None) -> None:
    """What `dispense` prints: the dispensing, what is now dispensed of each line (15/20), the packs' check,
    and the split to charge (`settlement`: the exchange's once it answered, else an estimate, said so)."""
    if done.offline is not None:
        print(f"exchange unreachable, dispensing offline: {done.offline.en} | بدون اتصال ادامه می‌دهیم")
    d, rx = done.dispensing, done.prescription
    if as_json:
        out = done.to_dict()
        if settlement is not None:
            out["settlement"] = settlement.to_dict()
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return
    print(
        f"dispensing {d.id}: {d.state}; lines {[i.line for i in d.items]}; "
        f"insurer {d.cost.insurer:,}, patient {d.cost.patient:,} rials"
    )
    for it in d.items:
        if it.prescribed_code:
            print(f"line {it.line}: {it.drug_code} in place of {it.prescribed_code} | جایگزین داروی تجویزشده")
    shown = ", ".join(f"{it.line}: {rx.dispensed_of(it.line)}/{it.quantity}" for it in rx.items)
    print(f"prescription {rx.id}: {rx.state.value}; dispensed {shown}")
    print(TTAC_SAID[done.ttac] + (f"; reason: {d.ttac_reason}" if d.ttac_reason else ""))
    if d.payment_id or d.pos_terminal_id:  # section 7-8, 7-9
        print(
            f"payment id {d.payment_id or '-'}, POS terminal {d.pos_terminal_id or '-'} | شناسه پرداخت و پایانه"
        )
    if settlement is not None:
        en, fa = settlement.describe()
        print(f"cost: {en} | {fa}")
    if done.from_paper:
        print(
            f"from paper prescription {rx.id}, verified offline; `noskhe sync run` sends it"
            " | از نسخه کاغذی تأییدشده؛ در همگام‌سازی فرستاده می‌شود"
        )
    if done.needs_attention:
        print("needs attention: `noskhe sync attention` | نیاز به اقدام")
