"""Workstation administration: init, identifiers, catalog, audit, backups, passphrase."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.errors import NoskheError
from app.identifiers import KINDS, parse_identifier

if TYPE_CHECKING:
    from app.cli.context import Context


def register(sub: Any) -> None:
    p = sub.add_parser("init", help="create this workstation's encrypted store")
    p.add_argument("--role", required=True, choices=["clinic", "pharmacy"])
    p.add_argument("--facility", required=True, metavar="SIAM_ID", help="the facility's SIAM id")
    p.add_argument("--facility-name", default="", help="the facility's name as printed on paper")
    p.add_argument("--exchange", metavar="URL", help="the exchange's address: kept, and the SIAM id looked up there")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("validate-id", help="normalise and check an identifier")
    p.add_argument("kind", choices=sorted(KINDS), metavar="KIND", help=", ".join(sorted(KINDS)))
    p.add_argument("value")
    p.set_defaults(handler=cmd_validate_id)

    cat = sub.add_parser("catalog", help="the drug and services catalog").add_subparsers(dest="catalog_cmd", metavar="ACTION")
    p = cat.add_parser("search", help="search drugs and services by Persian or English name or code")
    p.add_argument("text", nargs="+")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_catalog_search)

    aud = sub.add_parser("audit", help="the audit log").add_subparsers(dest="audit_cmd", metavar="ACTION")
    p = aud.add_parser("verify", help="check the audit log's hash chain")
    p.set_defaults(handler=cmd_audit_verify)
    p = aud.add_parser("show", help="the latest audit entries")
    p.add_argument("--patient", help="only entries about this patient (kind:value)")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(handler=cmd_audit_show)

    bk = sub.add_parser("backup", help="encrypted backups").add_subparsers(dest="backup_cmd", metavar="ACTION")
    p = bk.add_parser("create", help="write a backup file and check it")
    p.add_argument("file")
    p.set_defaults(handler=cmd_backup_create)
    p = bk.add_parser("restore", help="replace this workstation's store with a backup")
    p.add_argument("file")
    p.set_defaults(handler=cmd_backup_restore)

    pw = sub.add_parser("passphrase", help="the facility passphrase").add_subparsers(dest="pw_cmd", metavar="ACTION")
    p = pw.add_parser("change", help="change the passphrase (rewraps the key; data is not re-encrypted)")
    p.set_defaults(handler=cmd_passphrase_change)


def cmd_init(args: Any, ctx: Context) -> int:
    from app.services.admin import init_workstation

    new = init_workstation(
        ctx.data_dir, ctx.prompter, role=args.role, facility=args.facility, facility_name=args.facility_name,
        exchange=args.exchange,
    )  # fmt: skip
    print(
        f"Created the {new.role} store in {new.data_dir} (facility {new.facility_siam}, {new.drugs} drugs in the catalog)."
    )
    print(f"پایگاه دادهٔ رمزگذاری‌شده در {new.data_dir} ساخته شد.")
    s = new.siam or {}
    if s.get("offline"):
        print(f"SIAM: not looked up ({s['reason_en']}) | سیام استعلام نشد")
    elif s:
        print(f"SIAM: {s.get('name') or '?'} ({s.get('kind') or '?'}, {'active' if s.get('active') else 'inactive'})"
              + (f" — {s['problem_en']} | {s['problem_fa']}" if s.get("problem_en") else " | سیام تأیید کرد"))  # fmt: skip
    return 0


def cmd_validate_id(args: Any, ctx: Context) -> int:
    print(parse_identifier(args.kind, args.value).value)
    return 0


def cmd_catalog_search(args: Any, ctx: Context) -> int:
    from app.catalog import search_services
    from app.services.admin import search_catalog

    text = " ".join(args.text)
    drugs = search_catalog(ctx.workstation(), text, limit=args.limit)
    services = search_services(text, limit=args.limit)  # visits, lab, imaging, physiotherapy (7-6, 8-1)
    if args.json:
        print(json.dumps([d.to_dict() for d in [*drugs, *services]], ensure_ascii=False, indent=1))
        return 0 if drugs or services else 1
    if not drugs and not services:
        raise NoskheError(f"No drug or service matches {text!r}.", f"دارو یا خدمتی با «{text}» یافت نشد.")
    for d in drugs:
        print(f"{d.code}  {d.label_en}  |  {d.label_fa}  [{d.atc}]")
    for s in services:
        print(f"{s.code}  {s.name_en}  |  {s.name_fa}  [{s.kind}, {s.tariff:,} rials]")
    return 0


def cmd_audit_verify(args: Any, ctx: Context) -> int:
    from app.services.admin import verify_audit

    count = verify_audit(ctx.workstation())
    print(f"Audit log intact: {count} rows. | گزارش ممیزی سالم است: {count} ردیف.")
    return 0


def cmd_audit_show(args: Any, ctx: Context) -> int:
    from app.services.admin import audit_entries
    from app.timefmt import format_time

    for e in audit_entries(ctx.workstation(), patient=args.patient, limit=args.limit):
        at = format_time(e["at"], ctx.lang, seconds=True)
        who = "no person logged in | کسی وارد نشده" if e.get("person") == "none" else (
            f"{e.get('person')}/{e.get('licence') or '-'}" if e.get("person") else "-")
        print(f"{e['seq']:>6}  {at}  {who}  {e.get('workstation') or '-'}  {e['user']}/{e['role']}@{e['facility']}"
              f"  {e['action']}  {e['patient'] or '-'}  {e['object'] or '-'}  {e['outcome']}")
    return 0


def cmd_backup_create(args: Any, ctx: Context) -> int:
    from app.services.admin import backup

    header = backup(ctx.workstation(), Path(args.file))
    counts = ", ".join(f"{k} {v}" for k, v in header["counts"].items())
    print(f"Backup written and checked: {args.file} ({header['size']} bytes; {counts}).")
    print("پشتیبان نوشته و بررسی شد.")
    return 0


def cmd_backup_restore(args: Any, ctx: Context) -> int:
    from app.services.admin import restore
    from app.timefmt import format_time

    header = restore(ctx.data_dir, Path(args.file), ctx.prompter.passphrase("backup"))
    made = format_time(header["created_at"], "en")
    print(f"Restored the backup of {made} (facility {header['facility']}) into {ctx.data_dir}.")
    if header.get("previous"):
        print(f"The previous files were kept in {header['previous']}.")
    print(f"پشتیبانِ {format_time(header['created_at'], 'fa')} بازگردانده شد.")
    return 0


def cmd_passphrase_change(args: Any, ctx: Context) -> int:
    from app.services.admin import change_passphrase

    change_passphrase(ctx.data_dir, ctx.passphrase("store"), lambda: ctx.prompter.passphrase("store-change"))
    print("Passphrase changed; the data was not re-encrypted. | گذرواژه تغییر کرد.")
    return 0
