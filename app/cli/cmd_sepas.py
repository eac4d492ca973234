"""SEPAS, the national electronic health record (section 8-5): what it holds for a patient from this facility.

noskhe sepas show --patient ID [--json]      (online: asked through the exchange)
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.cli.context import Context
    from app.services.sepas import SepasRecord


def register(sub: Any) -> None:
    sepas = sub.add_parser("sepas", help="SEPAS, the national health record (online)").add_subparsers(
        dest="sepas_cmd", metavar="ACTION"
    )
    p = sepas.add_parser("show", help="what SEPAS holds for a patient from this facility")
    p.add_argument(
        "--patient", required=True, help="national code, FIDA, MOTHERCODE-N or kind:value, any digits"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_show)


def _line(r: SepasRecord, lang: str) -> str:
    from app.services.sepas import KINDS
    from app.timefmt import format_time

    en, fa = KINDS.get(r.kind, (r.kind, r.kind))
    what = f"{en} {r.subject} v{r.version}" if r.kind == "prescription" else f"{en} {r.subject}"
    ref = f", {'receipt' if r.kind == 'dispensing' else 'tracking'} {r.reference}" if r.reference else ""
    of = f", of prescription {r.prescription}" if r.prescription and r.kind != "cancellation" else ""
    items = "; ".join(f"{i.code} × {i.quantity}" for i in r.items)
    return f"  {format_time(r.occurred_at, lang)}  {what} ({fa}){ref}{of}, by {r.author}" + (
        f" — {items}" if items else ""
    )


def cmd_show(args: Any, ctx: Context) -> int:
    """The records SEPAS holds for `--patient` from this facility, oldest first."""
    from app.services.sepas import sepas_records

    view = sepas_records(ctx.workstation(), args.patient)
    if args.json:
        print(json.dumps(view.to_dict(), ensure_ascii=False, indent=1))
        return 0
    print(
        f"SEPAS holds {len(view.records)} record(s) for {view.patient} from facility {view.facility}"
        f" | سپاس {len(view.records)} سابقه از این مرکز برای این بیمار دارد"
    )
    for r in view.records:
        print(_line(r, ctx.lang))
    return 0
