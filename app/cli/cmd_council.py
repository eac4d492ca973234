"""The medical council inquiry (section 8-12): a prescriber's licence status and specialty.

noskhe council show NUMBER [--offline] [--json]   (online: asked now and kept; offline: the kept answer
                                                   and its age)
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.cli.context import Context


def register(sub: Any) -> None:
    council = sub.add_parser("council", help="the medical council: a prescriber's licence").add_subparsers(
        dest="council_cmd", metavar="ACTION"
    )
    p = council.add_parser("show", help="licence status and specialty of a council number")
    p.add_argument("number", help="medical council number (any digits)")
    p.add_argument("--offline", action="store_true", help="do not ask the council: show the kept answer")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_show)


def cmd_show(args: Any, ctx: Context) -> int:
    """The council's answer about NUMBER: asked now, or the kept one with its age when it cannot be."""
    from app.services.council import council_status

    status = council_status(ctx.workstation(), args.number, online=not args.offline)
    if args.json:
        print(json.dumps(status.to_dict(), ensure_ascii=False, indent=1))
        return 0
    print(status.describe(ctx.lang))
    return 0
