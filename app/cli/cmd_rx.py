"""Prescriptions at the clinic and the pharmacy:

    noskhe rx create --patient ID [--first-name F --last-name L …] --item CODE:QTY:"instructions" … [--json]
    noskhe rx edit ID --item … [--notes TEXT]      a new signed version (refused once dispensed)
    noskhe rx cancel ID
    noskhe rx show ID [--json]                      the prescription, its exchange results, its outbox items
    noskhe rx list [--state S] [--patient ID] [--json]
    noskhe rx retrieve --national-code X | --fida X | --hid X | --tracking X [--json]   (pharmacy, online)
    noskhe rx import-paper QR_TEXT|-                (pharmacy, offline: verified against the trust list)

Creating, editing and cancelling sign with the configured tokens (`noskhe sync config`) and queue for the
exchange; they never wait for the network. The `rx` group is shared with other command modules.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from app.cli.common import command_group
from app.errors import NoskheError

if TYPE_CHECKING:
    from app.cli.context import Context
    from app.domain import Patient, Prescription
    from app.services.prescribing import ItemRequest
    from app.services.records import PrescriptionRecord
    from sync.checking import RulesCheck


def register(sub: Any) -> None:
    rx = command_group(sub, "rx", "prescriptions")
    p = rx.add_parser("create", help="write, sign and queue a prescription")
    p.add_argument(
        "--patient", required=True, help="national code, FIDA, unique id or MOTHERCODE-N (or kind:value)"
    )
    p.add_argument("--first-name")
    p.add_argument("--last-name")
    p.add_argument("--birth-date", help="Jalali 1370/05/12 or Gregorian 1991-08-03, any digits")
    p.add_argument("--sex", choices=["female", "male", "other"])
    p.add_argument("--insurer", help="insurer or scheme code (IHIO, SSO, …)")
    p.add_argument("--item", action="append", required=True, metavar='CODE:QTY:"instructions"')
    p.add_argument("--notes", default="")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_create)

    c = rx.add_parser("check", help="ask the insurance and clinical rules before signing (nothing is saved)")
    for action in p._actions:  # the same patient and item options as `create`
        if action.dest not in ("help", "notes"):
            c._add_action(action)
    c.set_defaults(handler=cmd_check)

    p = rx.add_parser("sign", help="sign and queue a draft (one whose signing was interrupted)")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_sign)

    p = rx.add_parser("edit", help="change a prescription (new signed version)")
    p.add_argument("id")
    p.add_argument("--item", action="append", metavar='CODE:QTY:"instructions"')
    p.add_argument("--notes")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_edit)

    p = rx.add_parser("cancel", help="cancel a prescription (signed)")
    p.add_argument("id")
    p.set_defaults(handler=cmd_cancel)

    p = rx.add_parser("show", help="one prescription with its exchange results")
    p.add_argument("id", help="prescription id or tracking code")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_show)

    p = rx.add_parser("list", help="prescriptions in this workstation")
    p.add_argument("--state")
    p.add_argument("--patient")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)

    p = rx.add_parser("import-paper", help="keep a paper prescription (its QR text) to dispense offline")
    p.add_argument("payload", help="the QR text, or - to read it from standard input")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_import_paper)

    p = rx.add_parser("retrieve", help="fetch open prescriptions from the exchange (pharmacy)")
    g = p.add_mutually_exclusive_group(required=True)
    for flag in ("national-code", "fida", "unique-id", "newborn", "hid", "tracking"):
        g.add_argument("--" + flag, dest=flag.replace("-", "_"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_retrieve)


def _patient(ctx: Context, args: Any) -> Patient:
    """The patient named on the command line (`--patient` and, for a new one, its details)."""
    from app.services.prescribing import patient_from

    return patient_from(
        ctx.open_store(),
        args.patient,
        first_name=args.first_name,
        last_name=args.last_name,
        birth_date=args.birth_date,
        sex=args.sex,
        insurer=args.insurer,
    )


def _items(args: Any) -> list[ItemRequest] | None:
    from app.services.prescribing import ItemRequest

    return [ItemRequest.parse(t) for t in args.item] if args.item else None


def _summary(rx: Prescription) -> dict[str, Any]:
    return {
        "id": rx.id,
        "version": rx.version,
        "state": rx.state.value,
        "patient": str(rx.patient.id),
        "hid": rx.hid,
        "tracking_code": rx.tracking_code,
        "items": len(rx.items),
        "prescribed_at": rx.prescribed_at.isoformat(),
    }


def _print_rx(rx: Prescription, as_json: bool) -> None:
    if as_json:
        print(json.dumps(_summary(rx), ensure_ascii=False))
    else:
        print(
            f"{rx.id}  {rx.state.value}  v{rx.version}  {rx.patient.id}  HID {rx.hid or 'pending'}  "
            f"tracking {rx.tracking_code or 'pending'}"
        )


def cmd_create(args: Any, ctx: Context) -> int:
    from app.services.prescribing import write_prescription

    try:
        rx = write_prescription(
            ctx.workstation(), patient=_patient(ctx, args), items=_items(args) or [], notes=args.notes
        )
    except NoskheError as exc:
        draft = exc.details.get("draft_id")
        if draft:
            exc.en += f" The draft {draft} was kept: sign it with `noskhe rx sign {draft}`."
            exc.fa += f" پیش‌نویس {draft} نگه داشته شد: با ‎noskhe rx sign {draft}‎ امضا کنید."
        raise
    _print_rx(rx, args.json)
    return 0


def _print_check(check: RulesCheck, as_json: bool) -> None:
    if as_json:
        print(json.dumps(check.to_dict(), ensure_ascii=False, indent=1))
        return
    if check.offline:
        print(f"exchange unreachable ({check.reason_en}); local estimate only | سامانه در دسترس نیست؛ برآورد محلی")
    for f in check.findings:
        where = f"line {f['line']}" if f.get("line") else "prescription"
        print(f"{f['level']:<10} {where:<12} {f['code']}: {f['en']} | {f['fa']}")
    print(f"insurer {check.total.get('insurer', 0):,} rials, patient {check.total.get('patient', 0):,} rials")


def cmd_check(args: Any, ctx: Context) -> int:
    """The exchange's rules on a prescription not yet written: findings, cost split, rejection.

    Offline, the local estimate is shown and the exchange's rules run again when the signed
    prescription is registered; exit 1 only when the exchange says it would reject it."""
    from sync.checking import check_prescription

    check = check_prescription(ctx.workstation(), patient=_patient(ctx, args), items=_items(args) or [])
    _print_check(check, args.json)
    if check.rejected:
        raise NoskheError(
            "The exchange's rules would reject this prescription; change the lines marked rejection.",
            "قواعد سامانه این نسخه را رد می‌کند؛ اقلام دارای «رد» را اصلاح کنید.",
        )
    return 0


def cmd_sign(args: Any, ctx: Context) -> int:
    from app.services.prescribing import sign_draft

    _print_rx(sign_draft(ctx.workstation(), args.id), args.json)
    return 0


def cmd_edit(args: Any, ctx: Context) -> int:
    from app.services.prescribing import edit_prescription

    rx = edit_prescription(ctx.workstation(), args.id, notes=args.notes, items=_items(args))
    _print_rx(rx, args.json)
    return 0


def cmd_cancel(args: Any, ctx: Context) -> int:
    from app.services.prescribing import cancel_prescription

    _print_rx(cancel_prescription(ctx.workstation(), args.id), False)
    return 0


def _print_record(record: PrescriptionRecord) -> None:
    from app.store import OutboxState

    rx = record.prescription
    _print_rx(rx, False)
    print(
        f"patient: {rx.patient.full_name} ({rx.patient.id}); prescriber: {rx.prescriber.name} ({rx.prescriber.medical_council_number})"
    )
    for it in rx.items:
        mark = " ✓" if it.line in rx.dispensed_lines else ""
        print(f"  {it.line}. {it.drug_code} {it.drug_name} × {it.quantity} — {it.instructions}{mark}")
    print(f"cost: insurer {rx.cost.insurer:,} rials, patient {rx.cost.patient:,} rials (estimated here)")
    registered = record.registration
    if registered and registered.get("cost"):
        c = registered["cost"]
        print(f"      insurer {c['insurer']:,} rials, patient {c['patient']:,} rials (the exchange's estimate)")
        for f in registered.get("findings", []):
            where = f" (line {f['line']})" if f.get("line") else ""
            print(f"      {f['level']}{where}: {f['en']} | {f['fa']}")
    for r in record.outbox:
        line = f"  outbox {r.op:<11} v{r.version} {r.state:<12} attempts {r.attempts}"
        print(line + (f" — {r.reason_en} | {r.reason_fa}" if r.needs_attention else ""))
        if r.action_en and OutboxState(r.state).needs_attention:
            print(f"      → {r.action_en}")


def cmd_show(args: Any, ctx: Context) -> int:
    from app.services.records import show_prescription

    record = show_prescription(ctx.workstation(), args.id)
    if args.json:
        print(json.dumps(record.to_dict(), ensure_ascii=False, indent=1))
    else:
        _print_record(record)
    return 0


def cmd_list(args: Any, ctx: Context) -> int:
    from app.services.records import list_prescriptions

    rows = list_prescriptions(ctx.workstation(), state=args.state, patient=args.patient, limit=args.limit)
    if args.json:
        print(json.dumps([_summary(r) for r in rows], ensure_ascii=False, indent=1))
        return 0
    for rx in rows:
        _print_rx(rx, False)
    if not rows:
        print("no prescriptions | نسخه‌ای نیست")
    return 0


def cmd_retrieve(args: Any, ctx: Context) -> int:
    from sync.retrieve import retrieve_prescriptions

    keys = ("national_code", "fida", "unique_id", "newborn", "hid", "tracking")
    key = next(f for f in keys if getattr(args, f))
    got = retrieve_prescriptions(ctx.workstation(), key=key.replace("_", "-"), value=getattr(args, key))
    if args.json:
        certificates = {
            rx_id: {role: st.to_dict() for role, st in by_role.items()}
            for rx_id, by_role in got.certificates.items()
        }
        doc = {"prescriptions": [_summary(r) for r in got.prescriptions], "refused": got.refused}
        print(json.dumps({**doc, "certificates": certificates}, ensure_ascii=False, indent=1))
        return 0
    for rx in got.prescriptions:
        _print_rx(rx, False)
        for role, st in got.certificates.get(rx.id, {}).items():  # OCSP online, the CRL offline
            print(f"  {role}: {st.describe(ctx.lang)}")
    for r in got.refused:
        print(f"refused {r['id']}: {r['en']} | {r['fa']}")
    if not got.prescriptions and not got.refused:
        print("no open prescriptions found | نسخهٔ بازی پیدا نشد")
    return 0


def cmd_import_paper(args: Any, ctx: Context) -> int:
    """Verify a paper prescription's signed QR offline and keep it, so it can be dispensed without the
    network; the exchange settles it (or reports a conflict) when the dispensing reaches it."""
    from app.cli.cmd_print import print_status_lines, qr_texts
    from printing.pharmacy import import_paper

    kept = import_paper(ctx.workstation(), qr_texts(args.payload))
    if args.json:
        status, council = kept.certificate_status, kept.council
        extra = {
            "certificate_status": status.to_dict() if status else None,
            "council": council.to_dict() if council else None,
        }
        print(json.dumps({**_summary(kept.prescription), **extra}, ensure_ascii=False))
        return 0
    _print_rx(kept.prescription, False)
    print_status_lines(kept.certificate_status, kept.council, ctx.lang)  # certificate and licence
    return 0
