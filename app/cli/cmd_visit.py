"""Visits (9-1 step 7) and service outcomes (9-2 step 8):

    noskhe visit register --patient ID [--service CODE] [--first-name F --last-name L --sex S --insurer I] [--json]
    noskhe visit list [--patient ID] [--json]
    noskhe outcome register RX --service CODE (--result "…" | --observations FILE.json) [--json]
    noskhe outcome list RX [--online] [--json]

Registering signs (a visit: the GP and the facility seal; an outcome: the facility seal) and queues for the
exchange; it never waits for the network (`noskhe sync run` sends it).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from app.cli.common import command_group

if TYPE_CHECKING:
    from app.cli.context import Context
    from app.domain import Visit


def register(sub: Any) -> None:
    v = command_group(sub, "visit", "the visits the GP gives (9-1-7)")
    p = v.add_parser("register", help="register, sign and queue the visit given to a patient")
    p.add_argument("--patient", required=True, help="national code, FIDA, unique id or MOTHERCODE-N")
    p.add_argument("--service", help="the visit's code (default 901100, a GP's visit; see catalog search ویزیت)")
    p.add_argument("--first-name")
    p.add_argument("--last-name")
    p.add_argument("--birth-date")
    p.add_argument("--sex", choices=["female", "male", "other"])
    p.add_argument("--patient-phone", metavar="PHONE")
    p.add_argument("--insurer")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_visit_register)
    p = v.add_parser("list", help="the visits registered here, newest first")
    p.add_argument("--patient")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_visit_list)

    o = command_group(sub, "outcome", "outcomes of lab, imaging and physiotherapy services (9-2-8)")
    p = o.add_parser("register", help="register a service's result (signed by this facility's seal)")
    p.add_argument("rx", help="prescription id or tracking code (held here: retrieved or imported)")
    p.add_argument("--service", required=True, help="the service's code on the prescription")
    p.add_argument("--result", default="", help="the result or report, as text")
    p.add_argument("--observations", metavar="FILE", help='a JSON list of {"name", "value", "unit"?, …}')
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_outcome_register)
    p = o.add_parser("list", help="the outcomes of a prescription's services")
    p.add_argument("rx")
    p.add_argument("--online", action="store_true", help="ask the exchange for those registered elsewhere")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_outcome_list)


def _visit_line(v: Visit) -> str:
    return (
        f"{v.id}  {v.state}  {v.patient.id}  {v.service_code} {v.service_name}  "
        f"insurer {v.cost.insurer:,} / patient {v.cost.patient:,} rials  tracking {v.tracking_code or 'pending'}"
    )


def cmd_visit_register(args: Any, ctx: Context) -> int:
    from app.services.prescribing import patient_from
    from app.services.visits import register_visit

    patient = patient_from(
        ctx.open_store(), args.patient, first_name=args.first_name, last_name=args.last_name,
        birth_date=args.birth_date, sex=args.sex, insurer=args.insurer, phone=args.patient_phone,
    )  # fmt: skip
    v = register_visit(ctx.workstation(), patient, service_code=args.service)
    if args.json:
        print(json.dumps(v.to_dict(), ensure_ascii=False))
    else:
        print(_visit_line(v))
        print(f"ویزیت ثبت، امضا و در صف ارسال قرار گرفت: سهم بیمه {v.cost.insurer:,}، سهم بیمار {v.cost.patient:,} ریال")
    return 0


def cmd_visit_list(args: Any, ctx: Context) -> int:
    from app.services.visits import visits

    found = visits(ctx.workstation(), patient=args.patient, limit=args.limit)
    if args.json:
        print(json.dumps([v.to_dict() for v in found], ensure_ascii=False))
    for v in [] if args.json else found:
        print(_visit_line(v))
    return 0


def cmd_outcome_register(args: Any, ctx: Context) -> int:
    from app.services.visits import observations_from, register_outcome

    o = register_outcome(
        ctx.workstation(), args.rx, args.service, conclusion=args.result,
        observations=observations_from(file=args.observations),
    )  # fmt: skip
    if args.json:
        print(json.dumps(o.to_dict(), ensure_ascii=False))
    else:
        print(f"{o.id}  {o.state}  rx {o.prescription_id} line {o.line}  {o.service_code}  {len(o.observations)} observation(s)")
        print("نتیجهٔ خدمت ثبت، با مهر مرکز امضا و در صف ارسال قرار گرفت.")
    return 0


def cmd_outcome_list(args: Any, ctx: Context) -> int:
    from app.services.records import find_prescription
    from app.services.visits import outcomes_of
    from sync.outcomes import fetch_outcomes

    ws = ctx.workstation()
    rx = find_prescription(ws.store, args.rx)
    if args.online:
        fetch_outcomes(ws, rx.id)
    found = outcomes_of(ws, rx.id)
    if args.json:
        print(json.dumps(found, ensure_ascii=False))
        return 0
    for line in describe_outcomes(found):
        print(line)
    return 0


def describe_outcomes(found: list[dict[str, Any]]) -> list[str]:
    """Lines for people: each outcome (line, service, facility, state) then its conclusion and results."""
    out = []
    for o in found:
        out.append(f"line {o['line']}  {o['service_code']}  by {o['facility_siam']}  {o.get('state', '')}  {o['issued_at']}")
        if o.get("conclusion"):
            out.append(f"    {o['conclusion']}")
        for x in o.get("observations") or []:
            rng = f"  ({x['reference_range']})" if x.get("reference_range") else ""
            out.append(f"    {x['name']}: {x['value']} {x.get('unit', '')}{rng}".rstrip())
    return out
