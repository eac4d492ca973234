"""The financial statement's reports (9-2-9 for a pharmacy, 9-1-8 for a clinic):

noskhe statement totals [--from DAY] [--to DAY] [--json]   totals per insurer and per day
noskhe statement claims --insurer CODE --month 1405-09 -o FILE.xlsx|.csv|.pdf
                                                           an insurer's monthly claim list

Both ask the exchange for the statement (`noskhe sync statement` prints its lines).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.cli.context import Context


def register(sub: Any) -> None:
    st = sub.add_parser("statement", help="the financial statement: totals, insurers' claim lists")
    st = st.add_subparsers(dest="statement_cmd", metavar="ACTION")
    p = st.add_parser("totals", help="the statement's totals per insurer and per day")
    p.add_argument("--from", dest="start", help="first day: Jalali 1405/09/01 or Gregorian 2026-11-22")
    p.add_argument("--to", dest="end", help="last day, written the same way")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_totals)
    p = st.add_parser("claims", help="an insurer's claim list for a Jalali month, as CSV, XLSX or PDF")
    p.add_argument("--insurer", required=True, help="the insurer's code: IHIO, SSO, AFMS, IKRF")
    p.add_argument("--month", help="Jalali month YYYY-MM, e.g. 1405-09 (default: this month)")
    p.add_argument("-o", "--output", required=True, type=Path, help="FILE.xlsx, FILE.csv or FILE.pdf")
    p.set_defaults(handler=cmd_claims)


def cmd_totals(args: Any, ctx: Context) -> int:
    from app.services.statements import report

    rep = report(ctx.workstation(), args.start, args.end)
    st = rep.statement
    if args.json:
        out = {"insurers": [vars(t) for t in rep.by_insurer], "days": [vars(t) for t in rep.by_day]}
        print(json.dumps({"totals": st.totals(), **out}, ensure_ascii=False, indent=1))
        return 0
    print(f"facility {st.facility} ({st.kind}), {st.start} → {st.end}")
    for title, totals in (("per insurer", rep.by_insurer), ("per day", rep.by_day)):
        print(title + ":")
        for t in totals:
            print(f"  {t.key or '—':<12} {t.count:>5}  insurer {t.insurer:>14,}  patient {t.patient:>14,}")
    print(f"total {st.count}: insurer {st.insurer:,} rials, patient {st.patient:,} rials")
    return 0


def cmd_claims(args: Any, ctx: Context) -> int:
    from app.services.claims import claim_list, export, this_month

    claims = claim_list(ctx.workstation(), args.insurer, args.month or this_month())
    if args.output.suffix.lower() == ".pdf":
        from printing.claims_pdf import claims_pdf

        claims_pdf(claims, args.output)
    else:
        export(claims, args.output, lang=ctx.lang)
    t = claims.totals()
    print(
        f"{args.output}: {claims.insurer_en} {claims.month_name('en')}, {t['count']} lines,"
        f" insurer {t['insurer']:,} rials, patient {t['patient']:,} rials"
    )
    return 0
