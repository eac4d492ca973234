"""The facility's users and their roles (who may sign, see statements, manage users), and shifts.

noskhe users list [--json]
noskhe users add NATIONAL_CODE --name NAME --role ROLE [--licence NUMBER]
noskhe users set-role NATIONAL_CODE ROLE
noskhe users deactivate NATIONAL_CODE        (and `users activate NATIONAL_CODE`)
noskhe users shifts [--limit N]

Roles: pharmacy — manager, pharmacist, technician, cashier; clinic — manager, physician, receptionist.
A store with no users list works as before; the first `users add` registers whoever logs in to the
configured token (PIN asked, or $NOSKHE_PIN) as the manager, then adds the person named. Changing users
needs a manager's token from then on.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.cli.context import Context
    from app.store.users import FacilityUser

ROLE_HELP = "pharmacy: manager, pharmacist, technician, cashier; clinic: manager, physician, receptionist"


def register(sub: Any) -> None:
    users = sub.add_parser("users", help="the facility's users, roles and shifts").add_subparsers(
        dest="users_cmd", metavar="ACTION"
    )
    p = users.add_parser("list", help="the facility's users and their roles")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)
    p = users.add_parser("add", help="add a person (a manager only; the first adds yourself as manager)")
    p.add_argument("national_code", metavar="NATIONAL_CODE")
    p.add_argument("--name", required=True)
    p.add_argument("--role", required=True, help=ROLE_HELP)
    p.add_argument("--licence", default="", help="medical council number or pharmacist licence")
    p.set_defaults(handler=cmd_add)
    p = users.add_parser("set-role", help="change a user's role (a manager only)")
    p.add_argument("national_code", metavar="NATIONAL_CODE")
    p.add_argument("role", metavar="ROLE", help=ROLE_HELP)
    p.set_defaults(handler=cmd_set_role)
    for name, active in (("deactivate", False), ("activate", True)):
        p = users.add_parser(name, help=f"{name} a user (a manager only)")
        p.add_argument("national_code", metavar="NATIONAL_CODE")
        p.set_defaults(handler=cmd_set_active, active=active)
    p = users.add_parser("shifts", help="who logged in and out here, latest first")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(handler=cmd_shifts)


def _line(u: FacilityUser) -> str:
    from app.services.users import ROLE_NAMES

    fa, en = ROLE_NAMES.get(u.role, (u.role, u.role))
    state = "" if u.active else "  (deactivated | غیرفعال)"
    return f"{u.national_code}  {u.name}  {en} | {fa}  {u.licence or '-'}{state}"


def cmd_list(args: Any, ctx: Context) -> int:
    from dataclasses import asdict

    from app.services.users import roster

    users = roster(ctx.workstation())
    if args.json:
        print(json.dumps([asdict(u) for u in users], ensure_ascii=False, indent=1))
    elif not users:
        print("No users list yet: whoever logs in may do everything. | هنوز فهرست کاربران نیست.")
    for u in users if not args.json else ():
        print(_line(u))
    return 0


def cmd_add(args: Any, ctx: Context) -> int:
    from app.services.users import add_user

    user = add_user(ctx.workstation(), args.national_code, args.name, args.role, args.licence)
    print(f"Added | افزوده شد: {_line(user)}")
    return 0


def cmd_set_role(args: Any, ctx: Context) -> int:
    from app.services.users import set_role

    print(f"Changed | تغییر کرد: {_line(set_role(ctx.workstation(), args.national_code, args.role))}")
    return 0


def cmd_set_active(args: Any, ctx: Context) -> int:
    from app.services.users import set_active

    print(f"Changed | تغییر کرد: {_line(set_active(ctx.workstation(), args.national_code, args.active))}")
    return 0


def cmd_shifts(args: Any, ctx: Context) -> int:
    from app.services.users import shifts
    from app.timefmt import format_time

    for s in shifts(ctx.workstation(), limit=args.limit):
        end = format_time(s.ended_at, ctx.lang) if s.ended_at else "open | باز"
        print(
            f"{s.national_code}  {s.name or '-'}  {s.workstation}  {format_time(s.started_at, ctx.lang)} → {end}"
            f"  {s.ended_by or ''}".rstrip()
        )
    return 0
