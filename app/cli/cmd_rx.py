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

import datetime as dt
import json
from typing import Any

from app.cli.common import command_group
from app.errors import NoskheError


def register(sub: Any) -> None:
    rx = command_group(sub, "rx", "prescriptions")
    p = rx.add_parser("create", help="write, sign and queue a prescription")
    p.add_argument(
        "--patient", required=True, help="national code, FIDA, unique id or MOTHERCODE-N (or kind:value)"
    )
    p.add_argument("--first-name")
    p.add_argument("--last-name")
    p.add_argument("--birth-date", help="YYYY-MM-DD")
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


def _signers(ctx: Any, store: Any) -> list[Any]:
    from sync import signers

    trust = signers.trust_list(store)
    from app.cli.common import ask_pin

    return [
        signers.user_signer(store, trust, pin=ask_pin),
        signers.facility_signer(store, trust, ctx.passphrase),
    ]


def _patient(store: Any, args: Any) -> Any:
    from app.domain import Coverage, Patient, PatientId, Sex

    text = args.patient
    pid = (
        PatientId.parse(*text.split(":", 1))
        if ":" in text and not text[0].isdigit()
        else PatientId.guess(text)
    )
    try:
        known = store.get_patient(pid)
    except NoskheError:
        known = None
    if known is not None and not (args.first_name or args.last_name):
        return known
    if not (args.first_name and args.last_name):
        raise NoskheError(
            "A new patient needs --first-name and --last-name.", "بیمار تازه نام و نام خانوادگی لازم دارد."
        )
    return Patient(
        pid,
        args.first_name,
        args.last_name,
        birth_date=dt.date.fromisoformat(args.birth_date) if args.birth_date else None,
        sex=Sex(args.sex) if args.sex else None,
        coverage=Coverage(args.insurer) if args.insurer else None,
    )


def _summary(rx: Any) -> dict[str, Any]:
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


def _print_rx(rx: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(_summary(rx), ensure_ascii=False))
    else:
        print(
            f"{rx.id}  {rx.state.value}  v{rx.version}  {rx.patient.id}  HID {rx.hid or 'pending'}  "
            f"tracking {rx.tracking_code or 'pending'}"
        )


def cmd_create(args: Any, ctx: Any) -> int:
    from app.services.prescribing import ItemRequest, prescriber_of, write_prescription

    store = ctx.open_store()
    signers = _signers(ctx, store)
    try:
        rx = write_prescription(
            store,
            patient=_patient(store, args),
            prescriber=prescriber_of(store, signers[0]),
            items=[ItemRequest.parse(t) for t in args.item],
            signers=signers,
            notes=args.notes,
        )
    except NoskheError as exc:
        draft = exc.details.get("draft_id")
        if draft:
            exc.en += f" The draft {draft} was kept: sign it with `noskhe rx sign {draft}`."
            exc.fa += f" پیش‌نویس {draft} نگه داشته شد: با ‎noskhe rx sign {draft}‎ امضا کنید."
        raise
    _print_rx(rx, args.json)
    return 0


def cmd_check(args: Any, ctx: Any) -> int:
    """The exchange's rules on a prescription not yet written: findings, cost split, rejection.

    Offline, the local estimate is shown and the exchange's rules run again when the signed
    prescription is registered; exit 1 only when the exchange says it would reject it."""
    from app.domain import Prescription
    from app.services.prescribing import ItemRequest, prescriber_of, price_items
    from sync import fhir
    from sync import signers as sync_signers
    from sync.client import ExchangeUnavailable

    store = ctx.open_store()
    user, seal = _signers(ctx, store)
    patient = _patient(store, args)
    draft = Prescription(
        patient,
        prescriber_of(store, user),
        store.facility_siam,
        price_items(store, patient, [ItemRequest.parse(t) for t in args.item]),
    )
    try:
        answer = sync_signers.exchange_client(store, seal).rules_check(fhir.prescription_bundle(draft, []))
    except ExchangeUnavailable as exc:
        answer = {
            "offline": True,
            "reason_en": exc.en,
            "reason_fa": exc.fa,
            "findings": [],
            "total": draft.cost.to_dict(),
            "rejected": False,
        }
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=1))
    else:
        if answer.get("offline"):
            print(
                f"exchange unreachable ({answer['reason_en']}); local estimate only | سامانه در دسترس نیست؛ برآورد محلی"
            )
        for f in answer.get("findings", []):
            where = f"line {f['line']}" if f.get("line") else "prescription"
            print(f"{f['level']:<10} {where:<12} {f['code']}: {f['en']} | {f['fa']}")
        total = answer.get("total") or {}
        print(f"insurer {total.get('insurer', 0):,} rials, patient {total.get('patient', 0):,} rials")
    if answer.get("rejected"):
        raise NoskheError(
            "The exchange's rules would reject this prescription; change the lines marked rejection.",
            "قواعد سامانه این نسخه را رد می‌کند؛ اقلام دارای «رد» را اصلاح کنید.",
        )
    return 0


def cmd_sign(args: Any, ctx: Any) -> int:
    from app.services.prescribing import sign_and_queue

    store = ctx.open_store()
    rx = sign_and_queue(store, find(store, args.id), _signers(ctx, store), action="prescription.sign")
    _print_rx(rx, args.json)
    return 0


def cmd_edit(args: Any, ctx: Any) -> int:
    from app.services.prescribing import ItemRequest, edit_prescription

    store = ctx.open_store()
    rx = edit_prescription(
        store,
        args.id,
        signers=_signers(ctx, store),
        notes=args.notes,
        items=[ItemRequest.parse(t) for t in args.item] if args.item else None,
    )
    _print_rx(rx, args.json)
    return 0


def cmd_cancel(args: Any, ctx: Any) -> int:
    from app.services.prescribing import cancel_prescription

    store = ctx.open_store()
    rx = cancel_prescription(store, args.id, signer=_signers(ctx, store)[0])
    _print_rx(rx, False)
    return 0


def find(store: Any, ref: str) -> Any:
    """A local prescription by id or tracking code."""
    found = store.find_prescriptions(tracking_code=ref, limit=1) if ref.isdigit() else []
    return found[0] if found else store.get_prescription(ref)


def cmd_show(args: Any, ctx: Any) -> int:
    from app.services.outbox import Outbox, chain_of

    store = ctx.open_store()
    rx = find(store, args.id)
    results = {
        f"{s}/{k}": json.loads(d)
        for s, k, d in store.conn().execute(
            "SELECT subject, kind, data FROM exchange_results WHERE subject = ? OR subject IN"
            " (SELECT subject FROM outbox WHERE chain = ?)",
            (f"rx:{rx.id}", chain_of(rx.id)),
        )
    }
    rows = [
        {
            "id": r.id,
            "op": r.op,
            "version": r.version,
            "state": r.state,
            "attempts": r.attempts,
            "reason": r.reason_en,
            "reason_fa": r.reason_fa,
            "action": r.action_en,
        }
        for r in Outbox(store).for_chain(chain_of(rx.id))
    ]
    if args.json:
        print(json.dumps({**rx.to_dict(), "exchange": results, "outbox": rows}, ensure_ascii=False, indent=1))
        return 0
    _print_rx(rx, False)
    print(
        f"patient: {rx.patient.full_name} ({rx.patient.id}); prescriber: {rx.prescriber.name} ({rx.prescriber.medical_council_number})"
    )
    for it in rx.items:
        mark = " ✓" if it.line in rx.dispensed_lines else ""
        print(f"  {it.line}. {it.drug_code} {it.drug_name} × {it.quantity} — {it.instructions}{mark}")
    print(f"cost: insurer {rx.cost.insurer:,} rials, patient {rx.cost.patient:,} rials (estimated here)")
    registered = results.get(f"rx:{rx.id}/registration")
    if registered and registered.get("cost"):
        c = registered["cost"]
        print(
            f"      insurer {c['insurer']:,} rials, patient {c['patient']:,} rials (the exchange's estimate)"
        )
        for f in registered.get("findings", []):
            where = f" (line {f['line']})" if f.get("line") else ""
            print(f"      {f['level']}{where}: {f['en']} | {f['fa']}")
    for r in rows:
        line = f"  outbox {r['op']:<11} v{r['version']} {r['state']:<12} attempts {r['attempts']}"
        print(
            line + (f" — {r['reason']} | {r['reason_fa']}" if r["state"] not in ("done", "pending") else "")
        )
        if r["action"] and r["state"] not in ("done", "pending", "acknowledged"):
            print(f"      → {r['action']}")
    return 0


def cmd_list(args: Any, ctx: Any) -> int:
    store = ctx.open_store()
    patient = args.patient.split(":", 1)[-1] if args.patient else None
    rows = store.find_prescriptions(
        patient_value=patient, states=(args.state,) if args.state else (), limit=args.limit
    )
    if args.json:
        print(json.dumps([_summary(r) for r in rows], ensure_ascii=False, indent=1))
        return 0
    for rx in rows:
        _print_rx(rx, False)
    if not rows:
        print("no prescriptions | نسخه‌ای نیست")
    return 0


def cmd_retrieve(args: Any, ctx: Any) -> int:
    from sync.retrieve import retrieve_prescriptions

    keys = ("national_code", "fida", "unique_id", "newborn", "hid", "tracking")
    key = next(f for f in keys if getattr(args, f))
    got = retrieve_prescriptions(ctx.workstation(), key=key.replace("_", "-"), value=getattr(args, key))
    if args.json:
        print(
            json.dumps(
                {"prescriptions": [_summary(r) for r in got.prescriptions], "refused": got.refused},
                ensure_ascii=False,
                indent=1,
            )
        )
        return 0
    for rx in got.prescriptions:
        _print_rx(rx, False)
    for r in got.refused:
        print(f"refused {r['id']}: {r['en']} | {r['fa']}")
    if not got.prescriptions and not got.refused:
        print("no open prescriptions found | نسخهٔ بازی پیدا نشد")
    return 0


def cmd_import_paper(args: Any, ctx: Any) -> int:
    """Verify a paper prescription's signed QR offline and keep it, so it can be dispensed without the
    network; the exchange settles it (or reports a conflict) when the dispensing reaches it."""
    from app.cli.cmd_print import qr_texts
    from printing.pharmacy import import_paper

    _print_rx(import_paper(ctx.workstation(), qr_texts(args.payload)).prescription, args.json)
    return 0
