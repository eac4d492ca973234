"""Prescriptions at the clinic and the pharmacy:

    noskhe rx create --patient ID [--first-name F --last-name L --birth-date D --sex S --patient-phone P]
                     --item CODE:QTY[/DAYS]:"instructions" … [--service CODE[:QTY]] …
                     [--service-start T] [--service-end T]
                     [--override-reason TEXT] [--json]
    noskhe rx check  (the same options)             the rules and the split before signing; nothing saved
    noskhe rx sign ID [--override-reason TEXT]      sign a kept draft (the rules run again)
    noskhe rx edit ID --item … [--notes TEXT]      a new signed version (refused once dispensed)
    noskhe rx cancel ID
    noskhe rx show ID [--json]                      the prescription, its exchange results, its outbox items
    noskhe rx list [--state S] [--patient ID] [--json]
    noskhe rx retrieve --national-code X | --fida X | --hid X --patient CODE | --tracking X --patient CODE
                       [--no-patient-check REASON] [--json]
                                                    (pharmacy, online; the patient's code verified: by
                                                    tracking code or HID --patient is required; exit 1
                                                    when a prescription is refused)
    noskhe rx import-paper QR_TEXT|-                (pharmacy, offline: verified against the trust list)

Creating, editing and cancelling sign with the configured tokens (`noskhe sync config`) and queue for the
exchange; they never wait for the network. Before the GP writes, eligibility is asked (online: the visit's
HID and the coverage found; offline: pending, asked again when online) and before every signature the
insurance and clinical rules run — the exchange's online, the local engine's on the cached rule set
offline. A rejection refuses the signature; one the rules allow to override passes with
`--override-reason TEXT`, which is signed with the prescription. The cost split shown is the exchange's when
it answered, else an estimate, and says which. The `rx` group is shared with other command modules.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from app.cli.common import command_group
from app.errors import NoskheError

if TYPE_CHECKING:
    from app.cli.context import Context
    from app.costs import Settlement
    from app.domain import Patient, Prescription
    from app.services.prescribing import ItemRequest
    from app.services.records import PrescriptionRecord
    from app.services.settling import DispensingCost
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
    p.add_argument("--patient-phone", metavar="PHONE", help="the patient's contact: 09121234567, +98…")
    p.add_argument("--insurer", help="insurer or scheme code (IHIO, SSO, …)")
    p.add_argument(
        "--item",
        action="append",
        metavar='CODE[!]:QTY[/DAYS]:"instructions"',
        help="a line: drug code (CODE! forbids a substitute product), quantity, optionally for how many days,"
        " and the instructions; repeatable",
    )
    p.add_argument(
        "--service",
        action="append",
        metavar="CODE[:QTY]",
        help="a lab test, imaging study or physiotherapy ordered (catalog search CBC); repeatable",
    )
    p.add_argument("--notes", default="")
    p.add_argument(
        "--override-reason",
        metavar="TEXT",
        help="why to sign despite a rejection the rules allow to override; signed with the prescription",
    )
    for edge in ("start", "end"):
        p.add_argument(
            f"--service-{edge}",
            metavar="TIME",
            help=f"when the visit {'began' if edge == 'start' else 'ended'} (10:30, 1405/09/09 10:30, ISO);"
            f" default {'now' if edge == 'start' else 'the signature'}",
        )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_create)

    c = rx.add_parser("check", help="ask the insurance and clinical rules before signing (nothing is saved)")
    for action in p._actions:  # the same patient and item options as `create`
        if action.dest not in ("help", "notes", "service_start", "service_end"):
            c._add_action(action)
    c.set_defaults(handler=cmd_check)

    p = rx.add_parser("sign", help="sign and queue a draft (one whose signing was interrupted)")
    p.add_argument("id")
    p.add_argument("--override-reason", metavar="TEXT", help="why to sign despite an overridable rejection")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_sign)

    p = rx.add_parser("edit", help="change a prescription (new signed version)")
    p.add_argument("id")
    p.add_argument("--item", action="append", metavar='CODE:QTY[/DAYS]:"instructions"')
    p.add_argument("--service", action="append", metavar="CODE[:QTY]", help="a service line; repeatable")
    p.add_argument("--notes")
    p.add_argument("--override-reason", metavar="TEXT", help="why to sign despite an overridable rejection")
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
    for flag in ("national-code", "fida", "unique-id", "newborn", "armed-forces-newborn", "hid", "tracking"):
        g.add_argument("--" + flag, dest=flag.replace("-", "_"))
    p.add_argument(
        "--patient",
        metavar="CODE",
        help="the code the patient presents: a prescription not theirs is refused; required with --tracking"
        " or --hid (they do not name the patient)",
    )
    p.add_argument(
        "--no-patient-check",
        metavar="REASON",
        help="retrieve by --tracking/--hid without the patient's code, saying why (recorded in the audit log)",
    )
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
        phone=args.patient_phone,
    )


def _items(args: Any) -> list[ItemRequest] | None:
    from app.services.prescribing import ItemRequest

    lines = [ItemRequest.parse(t) for t in args.item or ()]
    lines += [ItemRequest.parse_service(t) for t in getattr(args, "service", None) or ()]
    return lines or None


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


def _checked(ctx: Context, rx: Prescription) -> dict[str, Any]:
    """What was asked before `rx` was signed: eligibility, the rules, and the split (estimate or the
    exchange's), as `rx create`/`sign`/`edit` add them to their output."""
    from app.services.checking import prescription_settlement

    store = ctx.open_store()
    return {
        "eligibility": store.results.get(f"rx:{rx.id}", "eligibility"),
        "rules": store.results.get(f"rx:{rx.id}", "rules"),
        "cost": prescription_settlement(store, rx).to_dict(),
        "override_reason": rx.override_reason or None,
    }


def _print_checked(ctx: Context, rx: Prescription, as_json: bool) -> None:
    """The prescription's line, then eligibility, the rules' findings and the cost split (estimate or the
    exchange's); with `as_json` one JSON object: the summary and those."""
    from app.services.checking import prescription_settlement

    checked = _checked(ctx, rx)
    if as_json:
        print(json.dumps({**_summary(rx), **checked}, ensure_ascii=False))
        return
    _print_rx(rx, False)
    e = checked["eligibility"] or {}
    if e.get("status") == "confirmed":
        plans = e.get("basic") or "none (self-pay)"
        if e.get("supplementary"):
            plans += f", supplementary {e['supplementary']}"
        overlap = "; overlap: only the first basic insurer pays" if e.get("overlap") else ""
        print(f"eligibility: confirmed, HID {e.get('hid')}, plan {plans}{overlap} | استحقاق تأیید شد")
    elif e:
        print(
            f"eligibility: pending ({e.get('reason_en', '')}); asked again when online"
            " | استحقاق‌سنجی در انتظار؛ پس از اتصال پرسیده می‌شود"
        )
    _print_rules(rx, checked["rules"])
    en, fa = prescription_settlement(ctx.open_store(), rx).describe()
    print(f"cost: {en} | {fa}")


def _print_rules(rx: Prescription, rules: dict[str, Any] | None, *, kept: bool = False) -> None:
    """The rules' findings before signing (which engine answered, each finding, "(overridden)" on those a
    reason let through) and the override reason signed with `rx`; `kept`: the check kept from signing,
    labelled so (beside the exchange's findings at registration)."""
    rules = rules or {}
    if rules:
        src = "the exchange's rules" if rules.get("source") == "exchange" else "local rules (offline)"
        head = "rules before signing" if kept else "rules"
        print(f"{head}: {src}, {len(rules.get('findings') or [])} finding(s) | قواعد")
        for f in rules.get("findings") or []:
            where = f"line {f['line']}" if f.get("line") else "prescription"
            mark = " (overridden)" if f.get("overridden") else ""
            print(f"  {f['level']:<10} {where:<12} {f['code']}{mark}: {f['en']} | {f['fa']}")
    if rx.override_reason:
        print(f"override reason: {rx.override_reason} | دلیل عبور از قاعده")


def _explain_draft(exc: NoskheError) -> None:
    """Add to a refusal of `rx create` what can be done with the draft it kept: sign it later (after an
    interruption, or with a reason for an overridable rejection); never advise signing a draft the rules
    reject without any override."""
    draft = exc.details.get("draft_id")
    if not draft:
        return
    if exc.code == "rules-rejected" and not exc.details.get("overridable"):
        exc.en += (
            f" The draft {draft} was kept, but it cannot be signed as it is: write it again without the"
            " rejected lines."
        )
        exc.fa += (
            f" پیش‌نویس {draft} نگه داشته شد ولی به همین شکل امضا نمی‌شود: نسخه را بدون اقلام ردشده"
            " دوباره بنویسید."
        )
        return
    reason = exc.details.get("overridable") or exc.details.get("reason_blank")
    again = " --override-reason TEXT" if reason else ""
    exc.en += f" The draft {draft} was kept: sign it with `noskhe rx sign {draft}{again}`."
    exc.fa += f" پیش‌نویس {draft} نگه داشته شد: با ‎noskhe rx sign {draft}{again}‎ امضا کنید."


def cmd_create(args: Any, ctx: Context) -> int:
    from app.legal import service_time
    from app.services.prescribing import write_prescription

    try:
        rx = write_prescription(
            ctx.workstation(),
            patient=_patient(ctx, args),
            items=_items(args) or [],
            notes=args.notes,
            override_reason=args.override_reason,
            service_start=service_time(args.service_start),
            service_end=service_time(args.service_end),
        )
    except NoskheError as exc:
        _explain_draft(exc)
        raise
    _print_checked(ctx, rx, args.json)
    if not args.json:
        _say_insurer_replaced(ctx, rx, args.insurer)
    return 0


def _say_insurer_replaced(ctx: Context, rx: Prescription, given: str | None) -> None:
    """One line when `--insurer` named another insurer than the one eligibility confirmed: the exchange's
    eligibility wins (the prescription is priced and signed under it)."""
    e = ctx.open_store().results.get(f"rx:{rx.id}", "eligibility") or {}
    basic = str(e.get("basic") or "")
    if not given or e.get("status") != "confirmed" or not basic:
        return
    if basic.upper().split("-")[0] != given.strip().upper().split("-")[0]:
        print(
            f"insurer {given} was replaced by {basic}: the exchange's eligibility wins"
            f" | بیمهٔ {given} با {basic} جایگزین شد: استحقاق اعلام‌شدهٔ سامانه ملاک است"
        )


def _print_check(check: RulesCheck, as_json: bool) -> None:
    if as_json:
        print(json.dumps(check.to_dict(), ensure_ascii=False, indent=1))
        return
    if check.offline:
        print(
            f"exchange unreachable ({check.reason_en}); the local rules engine and a local estimate"
            " | سامانه در دسترس نیست؛ قواعد محلی و برآورد محلی"
        )
    for f in check.findings:
        where = f"line {f['line']}" if f.get("line") else "prescription"
        mark = " (overridden)" if f.get("overridden") else " (overridable)" if f.get("overridable") else ""
        print(f"{f['level']:<10} {where:<12} {f['code']}{mark}: {f['en']} | {f['fa']}")
    e = check.eligibility
    if not check.insurance_pending:
        extra = f" + {e['supplementary']}" if e.get("supplementary") else ""
        plans = (e.get("basic") or "none (self-pay)") + extra
        print(f"eligibility: confirmed, plan {plans} | استحقاق تأیید شد")
    if check.offline or check.insurance_pending:
        pending = "; insurance pending | بیمه در انتظار استعلام" if check.insurance_pending else ""
        label = f" (estimate{pending} | برآورد)"
    else:
        label = " (the exchange's | اعلام سامانه)"
    print(
        f"insurer {check.total.get('insurer', 0):,} rials, patient {check.total.get('patient', 0):,} rials"
        + label
    )


def cmd_check(args: Any, ctx: Context) -> int:
    """The exchange's rules on a prescription not yet written: findings, cost split, rejection.

    Offline, the local rules engine answers on the cached rule set, with a local estimate; exit 1 when
    the rules would reject it (after `--override-reason`, for the rejections it may override)."""
    from sync.checking import check_prescription

    check = check_prescription(
        ctx.workstation(),
        patient=_patient(ctx, args),
        items=_items(args) or [],
        override_reason=args.override_reason,
    )
    _print_check(check, args.json)
    if check.rejected:
        raise _refusal(check)
    return 0


def _refusal(check: RulesCheck) -> NoskheError:
    """Why `rx check` exits 1, naming the engine that decided (the exchange's rules, or the local engine
    offline) and what would let it through."""
    en, fa = (
        ("The local rules engine (offline) would reject", "موتور قواعد محلی (آفلاین) این نسخه را رد می‌کند")
        if check.offline
        else ("The exchange's rules would reject", "قواعد سامانه این نسخه را رد می‌کند")
    )
    if check.overridable:
        return NoskheError(
            f"{en} this prescription; it may be signed only with a reason (--override-reason).",
            f"{fa}؛ فقط با ذکر دلیل (‎--override-reason‎) امضا می‌شود.",
        )
    return NoskheError(
        f"{en} this prescription and no reason can override it; change the lines marked rejection.",
        f"{fa} و با ذکر دلیل هم پذیرفته نمی‌شود؛ اقلام دارای «رد» را اصلاح کنید.",
    )


def cmd_sign(args: Any, ctx: Context) -> int:
    from app.services.prescribing import sign_draft

    rx = sign_draft(ctx.workstation(), args.id, override_reason=args.override_reason)
    _print_checked(ctx, rx, args.json)
    return 0


def cmd_edit(args: Any, ctx: Context) -> int:
    from app.services.prescribing import edit_prescription

    rx = edit_prescription(
        ctx.workstation(), args.id, notes=args.notes, items=_items(args), override_reason=args.override_reason
    )
    _print_checked(ctx, rx, args.json)
    return 0


def cmd_cancel(args: Any, ctx: Context) -> int:
    from app.services.prescribing import cancel_prescription

    _print_rx(cancel_prescription(ctx.workstation(), args.id), False)
    return 0


def _print_cost(record: PrescriptionRecord, settled: Settlement, costs: list[DispensingCost]) -> None:
    """The prescription's split labelled by its real basis (the exchange's or an estimate, and the
    difference), then each dispensing's: the exchange's once it answered, else the estimate charged."""
    rx = record.prescription
    if settled.shown.total or not costs:
        en, fa = settled.describe()
        print(f"cost: {en} | {fa}")
    else:  # a copy from paper: its QR carries no split; the dispensings below are priced
        print("cost: not priced on this copy (see its dispensings) | هزینهٔ نسخه در این رونوشت نیست")
    for c in costs:
        en, fa = c.describe()
        print(f"  dispensing {c.id} ({c.state}): {en} | {fa}")
    found = (record.registration or {}).get("findings", [])
    if found:
        print(f"rules at registration: the exchange's, {len(found)} finding(s) | قواعد سامانه هنگام ثبت")
    for f in found:
        where = f" (line {f['line']})" if f.get("line") else ""
        print(f"      {f['level']}{where}: {f['en']} | {f['fa']}")
    _print_rules(rx, record.exchange.get(f"rx:{rx.id}/rules"), kept=True)


def _print_record(record: PrescriptionRecord, settled: Settlement, costs: list[DispensingCost]) -> None:
    from app.store import OutboxState

    rx = record.prescription
    _print_rx(rx, False)
    print(
        f"patient: {rx.patient.full_name} ({rx.patient.id}); prescriber: {rx.prescriber.name} ({rx.prescriber.medical_council_number})"
    )
    _print_legal(rx)
    for it in rx.items:
        done = rx.dispensed_of(it.line)  # units handed over: 15/20 while a line is dispensed in parts
        mark = (" ✓" if done >= it.quantity else "") + (f" {done}/{it.quantity}" if done else "")
        kind = f" [{it.service}]" if it.service else ""  # a lab, imaging or physiotherapy line
        kind += " [no substitution | بدون جایگزین]" if it.no_substitution else ""
        print(f"  {it.line}. {it.drug_code}{kind} {it.drug_name} × {it.quantity} — {it.instructions}{mark}")
    _print_cost(record, settled, costs)
    for r in record.outbox:
        line = f"  outbox {r.op:<11} v{r.version} {r.state:<12} attempts {r.attempts}"
        print(line + (f" — {r.reason_en} | {r.reason_fa}" if r.needs_attention else ""))
        if r.action_en and OutboxState(r.state).needs_attention:
            print(f"      → {r.action_en}")


def _print_legal(rx: Prescription) -> None:
    """Section 7's elements `rx show` adds: the patient's birth date, sex and phone, the specialty, the
    provider user id and national id, the start and end of the service (those it carries)."""
    p, parts = rx.patient, []
    if p.birth_date:
        parts.append(f"born {p.birth_date.isoformat()} (age {p.age(rx.prescribed_at.date())})")
    parts += [f"sex {p.sex.value}"] if p.sex else []
    parts += [f"phone {p.phone}"] if p.phone else []
    parts += [f"specialty {rx.prescriber.specialty}"] if rx.prescriber.specialty else []
    parts += [f"provider user {rx.provider_user_id}"] if rx.provider_user_id else []
    parts += [f"provider national id {rx.facility_national_id}"] if rx.facility_national_id else []
    if rx.service_start:
        end = rx.service_end.isoformat() if rx.service_end else "…"
        parts.append(f"service {rx.service_start.isoformat()} → {end}")
    if parts:
        print("  " + "; ".join(parts))


def cmd_show(args: Any, ctx: Context) -> int:
    from app.cli.cmd_visit import describe_outcomes
    from app.services.checking import prescription_settlement
    from app.services.records import show_prescription
    from app.services.settling import dispensing_costs
    from app.services.visits import outcomes_of

    ws = ctx.workstation()
    record = show_prescription(ws, args.id)
    outcomes = outcomes_of(ws, record.prescription.id)  # of its service lines (9-2-8), those known here
    settled = prescription_settlement(ws.store, record.prescription)
    costs = dispensing_costs(ws.store, record.prescription.id)
    if args.json:
        money = {
            "settlement": settled.to_dict(),
            "dispensing_costs": {c.id: c.settlement.to_dict() for c in costs},
        }
        print(json.dumps({**record.to_dict(), "outcomes": outcomes, **money}, ensure_ascii=False, indent=1))
        return 0
    _print_record(record, settled, costs)
    for line in ["outcomes: | نتایج خدمات:"] + describe_outcomes(outcomes) if outcomes else []:
        print(line)
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
    """`rx retrieve`: the open prescriptions for the key given, verified and kept; by tracking code or HID
    the patient's code is required (or `--no-patient-check REASON`). Exit 1 when any was refused."""
    from sync.retrieve import patient_check, retrieve_prescriptions

    keys = ("national_code", "fida", "unique_id", "newborn", "armed_forces_newborn", "hid", "tracking")
    key = next(f for f in keys if getattr(args, f) is not None)
    ws, field, value = ctx.workstation(), key.replace("_", "-"), getattr(args, key)
    patient_check(ws, key=field, value=value, patient=args.patient, skip=args.no_patient_check)
    got = retrieve_prescriptions(ws, key=field, value=value, patient=args.patient)
    if args.json:
        certificates = {
            rx_id: {role: st.to_dict() for role, st in by_role.items()}
            for rx_id, by_role in got.certificates.items()
        }
        lines = [{**_summary(r), "lines": [it.to_dict() for it in r.items]} for r in got.prescriptions]
        doc = {"prescriptions": lines, "refused": got.refused}
        print(json.dumps({**doc, "certificates": certificates}, ensure_ascii=False, indent=1))
    else:
        _print_retrieved(got, ctx)
    return 1 if got.refused else 0


def _print_retrieved(got: Any, ctx: Context) -> None:
    """The prescriptions retrieved (lines, certificate statuses) and those refused, as `rx retrieve` says."""
    for rx in got.prescriptions:
        _print_rx(rx, False)
        for it in rx.items:  # drugs to dispense, services (lab, imaging, physiotherapy) to perform
            print(f"  {it.line}. {it.drug_code}{f' [{it.service}]' if it.service else ''} {it.drug_name} × {it.quantity}")
        for role, st in got.certificates.get(rx.id, {}).items():  # OCSP online, the CRL offline
            print(f"  {role}: {st.describe(ctx.lang)}")
    for r in got.refused:
        print(f"refused {r['id']}: {r['en']} | {r['fa']}")
    if not got.prescriptions and not got.refused:
        print("no open prescriptions found | نسخهٔ بازی پیدا نشد")


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
