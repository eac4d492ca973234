"""Talking to the national exchange:

noskhe sync status [--json]        counts per state, oldest queued age, last success, online/offline
noskhe sync run [--batch N]        drain the outbox now, with a progress bar
noskhe sync refresh                fetch reference data (catalog and prices, rules, trust list)
noskhe sync attention [--json]     what needs a person; `sync ack ID` / `sync requeue ID` to act on it
noskhe sync config [--exchange URL] [--user-token L] [--facility-token L | --facility-p12 FILE]
                   [--facility-national-id ID]   the provider's national id, signed and printed (section 7)
noskhe sync statement [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.cli.context import Context

SETTING_FLAGS = {
    "exchange": "exchange.url",
    "user_token": "signing.user_token",
    "user_p12": "signing.user_p12",
    "facility_token": "signing.facility_token",
    "facility_p12": "signing.facility_p12",
    "facility_national_id": "facility_national_id",
}


def register(sub: Any) -> None:
    sy = sub.add_parser("sync", help="the outbox and the national exchange").add_subparsers(
        dest="sync_cmd", metavar="ACTION"
    )
    p = sy.add_parser("status", help="outbox counts, oldest queued age, last success, online/offline")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_status)
    p = sy.add_parser("run", help="send everything queued now")
    p.add_argument("--batch", type=int, default=50, help="items per request (1 = one by one)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=cmd_run)
    p = sy.add_parser("refresh", help="fetch reference data from the exchange")
    p.set_defaults(handler=cmd_refresh)
    p = sy.add_parser("attention", help="items that need a person")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_attention)
    for name, helptext in (("ack", "close an item that needed attention"), ("requeue", "send an item again")):
        p = sy.add_parser(name, help=helptext)
        p.add_argument("id")
        p.set_defaults(handler=cmd_ack if name == "ack" else cmd_requeue)
    p = sy.add_parser("config", help="exchange address and signing tokens of this workstation")
    for flag in SETTING_FLAGS:
        p.add_argument("--" + flag.replace("_", "-"))
    p.set_defaults(handler=cmd_config)
    p = sy.add_parser("statement", help="the financial statement of this facility")
    p.add_argument("--from", dest="start", help="first day: Jalali 1405/09/01 or Gregorian 2026-11-22")
    p.add_argument("--to", dest="end", help="last day, written the same way")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_statement)


def _day(iso: str, lang: str) -> str:
    from app.timefmt import format_date

    try:
        return format_date(dt.date.fromisoformat(iso), lang)
    except ValueError:
        return iso


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


_NEVER_FETCHED = (
    "warning: reference data never fetched (national drug codes, prices, rules): `noskhe sync refresh` | "
    "هشدار: دادهٔ مرجع (کدهای ملی دارو، قیمت‌ها، قواعد) هنوز دریافت نشده است: ‎noskhe sync refresh‎"
)


def cmd_status(args: Any, ctx: Context) -> int:
    from sync.status import sync_status

    st = sync_status(ctx.open_store())
    if args.json:
        print(json.dumps(st.to_dict(), ensure_ascii=False, indent=1))
        return 0
    state = {True: "online | برخط", False: "offline | برون‌خط", None: "never connected | هنوز وصل نشده"}[
        st.online
    ]
    from app.timefmt import format_time

    print(f"exchange: {state}; last success {format_time(st.last_success, ctx.lang)}")
    print(
        "outbox: "
        + ", ".join(f"{k} {v}" for k, v in st.counts.items())
        + f"; oldest queued {_age(st.oldest_pending_age_s)}"
    )
    for kind, info in st.reference.items():
        flag = " (stale | کهنه)" if info["stale"] else ""
        print(f"{kind}: {info['version'] or '—'}, age {_age(info['age_s'])}{flag}")
    if any(info["age_s"] is None for info in st.reference.values()):
        print(_NEVER_FETCHED)
    if st.attention:
        print(f"{len(st.attention)} item(s) need attention | نیاز به اقدام: `noskhe sync attention`")
    if st.last_error and st.online is False:
        print(f"last error: {st.last_error}")
    return 0


def _bar(report: Any) -> None:
    total = report.done + report.remaining + report.rejected + report.conflicts + report.quarantined
    width = 30
    filled = int(width * (total - report.remaining) / total) if total else width
    sys.stderr.write(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {report.done} sent, {report.remaining} queued "
    )
    sys.stderr.flush()


def cmd_run(args: Any, ctx: Context) -> int:
    engine = ctx.workstation().sync
    report = engine.run(progress=None if args.quiet or args.json else _bar, batch_size=args.batch)
    if not (args.quiet or args.json):
        sys.stderr.write("\n")
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(
            f"sent {report.done}, rejected {report.rejected}, conflicts {report.conflicts}, quarantined "
            f"{report.quarantined}, still queued {report.remaining} ({report.elapsed:.1f}s)"
        )
        if report.busy:
            print("another drain is running | ارسال دیگری در جریان است")
        if report.offline or report.error:
            print(f"exchange unreachable or refused: {report.error} | سامانهٔ تبادل در دسترس نیست")
    return 0 if not report.error else 1


def cmd_refresh(args: Any, ctx: Context) -> int:
    out = ctx.workstation().sync.refresh()
    for kind, result in out.items():
        print(f"{kind}: {result}")
    return 0 if all(not r.startswith("failed") for r in out.values()) else 1


def cmd_attention(args: Any, ctx: Context) -> int:
    from sync.status import sync_status

    items = sync_status(ctx.open_store()).attention
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=1))
        return 0
    if not items:
        print("nothing needs attention | موردی نیاز به اقدام ندارد")
    for it in items:
        print(f"{it['id']}  {it['state']:<11} {it['op']:<11} {it['subject']}")
        print(f"    {it['reason_en']}\n    {it['reason_fa']}")
        if it["action_en"]:
            print(f"    → {it['action_en']} | {it['action_fa']}")
    return 0


def cmd_ack(args: Any, ctx: Context) -> int:
    from app.services.outbox import Outbox

    row = Outbox(ctx.open_store()).acknowledge(args.id)
    print(f"{row.id}: {row.state}")
    return 0


def cmd_requeue(args: Any, ctx: Context) -> int:
    from app.services.outbox import Outbox

    row = Outbox(ctx.open_store()).requeue(args.id)
    print(f"{row.id}: {row.state}")
    return 0


def cmd_config(args: Any, ctx: Context) -> int:
    from app.services.settings import configure

    changes = {key: getattr(args, flag) for flag, key in SETTING_FLAGS.items()}
    for key, value in configure(ctx.workstation(), changes).items():
        print(f"{key} = {value}")
    return 0


def cmd_statement(args: Any, ctx: Context) -> int:
    from app.services.statements import statement

    st = statement(ctx.workstation(), args.start, args.end)
    if args.json:
        print(json.dumps(st.to_dict(), ensure_ascii=False, indent=1))
        return 0
    from app.timefmt import format_time

    print(f"facility {st.facility} ({st.kind}), {_day(st.start, ctx.lang)} → {_day(st.end, ctx.lang)}")
    for line in st.lines:
        at = format_time(line.at, ctx.lang)
        print(f"  {at}  {line.reference}  insurer {line.insurer:>12,}  patient {line.patient:>12,}")
    print(f"total {st.count}: insurer {st.insurer:,} rials, patient {st.patient:,} rials")
    return 0
