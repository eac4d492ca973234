"""Smart-card commands: list tokens, sign and verify files, manage the trust list, make development tokens.

    noskhe token list
    noskhe token sign --role prescriber|pharmacist|facility FILE -o FILE.p7s [--token LABEL | --p12 FILE]
    noskhe token verify FILE FILE.p7s [--trust-list FILE]
    noskhe token trust import FILE | show
    noskhe devtoken init --dir DIR

`token sign` signs FILE's bytes exactly as they are (so `openssl cms -verify -content FILE` agrees). The PIN
comes from $NOSKHE_PIN, else a prompt without echo, else the reader's PIN pad; it is never printed or stored.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from app.cli.common import ask_pin, read_file, trust_list, workstation_if_any, write_file
from app.signing import Signature, SignatureRole, SignerIdentity

if TYPE_CHECKING:
    from app.cli.context import Context
    from smartcard.status import StatusChecker
    from smartcard.tokens import TokenInfo
    from smartcard.trustlist import TrustList


def register(sub: Any) -> None:
    token = sub.add_parser("token", help="smart cards and tokens: list, sign, verify").add_subparsers(
        dest="token_cmd", metavar="ACTION"
    )
    p = token.add_parser("list", help="the PKCS#11 module's tokens and their PIN state")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)

    p = token.add_parser("sign", help="sign a file (detached CAdES-BES CMS)")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True, help="where to write the .p7s signature")
    p.add_argument("--role", required=True, choices=[r.value for r in SignatureRole])
    p.add_argument("--token", help="token label (default: $NOSKHE_TOKEN_LABEL or the only token)")
    p.add_argument("--p12", help="sign with this PKCS#12 file (facility passphrase) instead of a token")
    p.add_argument(
        "--trust-list", help="trust-list file or directory (default: $NOSKHE_TRUST_LIST or the store's)"
    )
    p.add_argument("--national-code", help="refuse unless the certificate belongs to this national code")
    p.add_argument("--pss", action="store_true", help="RSA keys: RSASSA-PSS instead of PKCS#1 v1.5")
    p.set_defaults(handler=cmd_sign)

    p = token.add_parser("verify", help="verify a detached signature offline against the trust list")
    p.add_argument("file")
    p.add_argument("signature")
    p.add_argument(
        "--trust-list", help="trust-list file or directory (default: $NOSKHE_TRUST_LIST or the store's)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_verify)

    trust = token.add_parser("trust", help="the trust list cached in the store").add_subparsers(
        dest="trust_cmd", metavar="ACTION"
    )
    p = trust.add_parser("import", help="replace the store's trust list with FILE (JSON or a directory)")
    p.add_argument("file")
    p.set_defaults(handler=cmd_trust_import)
    p = trust.add_parser("show", help="the store's trust list: version, age, CAs")
    p.set_defaults(handler=cmd_trust_show)

    dev = sub.add_parser("devtoken", help="TEST tokens on SoftHSM2 for development").add_subparsers(
        dest="devtoken_cmd", metavar="ACTION"
    )
    p = dev.add_parser("init", help="create SoftHSM2 tokens with TEST identities in DIR")
    p.add_argument("--dir", required=True)
    p.add_argument("--force", action="store_true", help="replace tokens already in DIR")
    p.set_defaults(handler=cmd_devtoken_init)


def _config() -> Any:
    from smartcard.config import SmartcardConfig

    return SmartcardConfig.from_env()


def _module() -> Any:
    from smartcard.tokens import Pkcs11Module

    return Pkcs11Module.load(_config())


def _token_dict(t: TokenInfo) -> dict[str, Any]:
    return {
        "slot": t.slot_id,
        "label": t.label,
        "serial": t.serial,
        "manufacturer": t.manufacturer,
        "model": t.model,
        "pin_pad": t.pin_pad,
        "pin_state": t.pin_state(),
    }


def cmd_list(args: Any, ctx: Context) -> int:
    module = _module()
    tokens: list[TokenInfo] = module.tokens()
    if args.json:
        print(json.dumps([_token_dict(t) for t in tokens], ensure_ascii=False, indent=1))
        return 0
    if not tokens:
        print(f"no tokens present in {module.path} | هیچ توکنی وصل نیست")
    for t in tokens:
        pad = ", PIN pad" if t.pin_pad else ""
        print(f"{t.label}\tserial {t.serial}\t{t.manufacturer} {t.model}\tPIN {t.pin_state()}{pad}")
    return 0


def _sign(args: Any, ctx: Context, data: bytes, trust: TrustList) -> Signature:
    """`data` signed with the PKCS#12 file (the facility passphrase) or on the token (its PIN asked)."""
    role = SignatureRole(args.role)
    expected = SignerIdentity(name="", national_code=args.national_code) if args.national_code else None
    if args.p12:
        from smartcard.p12 import P12Signer

        secret = ctx.passphrase("store")
        return P12Signer(
            args.p12,
            secret,
            trust,
            role=role,
            expected=expected,
            rsa_pss=args.pss,
            revocation=_revocation(ctx),
        ).sign(data)
    from smartcard.signer import TokenSigner

    session = _module().session(label=args.token or _config().token_label)
    try:
        session.login(ask_pin(session, ctx.prompter))
        signer = TokenSigner(
            session, role, trust, expected=expected, rsa_pss=args.pss, revocation=_revocation(ctx)
        )
        return signer.sign(data)
    finally:
        session.lock("done")  # a command signs once: log out rather than leave the token open


def _revocation(ctx: Context) -> StatusChecker | None:
    """With a workstation here, its certificate status (OCSP online, the CRL offline); else None (the
    trust list's CRL decides)."""
    ws = workstation_if_any(ctx)
    return ws.certificate_status if ws is not None else None


def cmd_sign(args: Any, ctx: Context) -> int:
    role = SignatureRole(args.role)
    data = read_file(args.file)
    signature = _sign(args, ctx, data, trust_list(args, ctx))
    write_file(args.output, signature.cms)
    print(f"signed by {signature.signer.name} as {role.value} → {args.output} | امضا شد")
    return 0


def _describe(result: Any) -> dict[str, Any]:
    s = result.signer
    return {
        "valid": True,
        "signer": s.name,
        "role": result.role.value if result.role else None,
        "national_code": s.national_code,
        "medical_council_number": s.medical_council_number,
        "pharmacist_licence": s.pharmacist_licence,
        "siam_id": s.siam_id,
        "signed_at": result.signed_at.isoformat() if result.signed_at else None,
        "trust_list_version": result.trust_list_version,
        "trust_list_stale": result.trust_list_stale,
        "certificate_status": result.certificate_status.to_dict() if result.certificate_status else None,
    }


def cmd_verify(args: Any, ctx: Context) -> int:
    """Verify FILE's detached signature; with a workstation here, the certificate's revocation is asked as
    it asks it (OCSP online, the CRL offline), else the trust list's CRL decides."""
    revocation = _revocation(ctx)
    trust = trust_list(args, ctx)
    result = trust.verify(
        read_file(args.file),
        read_file(args.signature),
        max_age=_config().trust_list_max_age,
        revocation=revocation,
    )
    info = _describe(result)
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=1))
        return 0
    print("valid signature | امضا معتبر است")
    for key, value in info.items():
        if key == "signed_at" and result.signed_at:
            from app.timefmt import format_time

            value = format_time(result.signed_at, ctx.lang, seconds=True)
        if key == "certificate_status" and result.certificate_status:
            value = result.certificate_status.describe(ctx.lang)
        if key != "valid" and value is not None:
            print(f"  {key.replace('_', ' ')}: {value}")
    if result.trust_list_stale:
        print("  warning: the trust list is stale; update it | هشدار: فهرست مراجع مورد اعتماد کهنه است")
    return 0


def cmd_trust_import(args: Any, ctx: Context) -> int:
    from smartcard.trustlist import TrustList

    trust = TrustList.from_file(args.file)
    ws = ctx.workstation()
    trust.save(ws.store)
    ws.forget_trust()
    print(
        f"trust list {trust.version} imported ({len(trust.ca_certificates)} CA, {len(trust.crls)} CRL) | وارد شد"
    )
    return 0


def cmd_trust_show(args: Any, ctx: Context) -> int:
    from smartcard.errors import TrustListError
    from smartcard.trustlist import TrustList

    trust = TrustList.load(ctx.open_store())
    if trust is None:
        raise TrustListError("The store has no trust list yet.", "پایگاه داده فهرست مراجع مورد اعتماد ندارد.")
    print(json.dumps(trust.summary(), ensure_ascii=False, indent=1))
    return 0


def cmd_devtoken_init(args: Any, ctx: Context) -> int:
    from smartcard import devtoken

    print(devtoken.describe(devtoken.init(args.dir, force=args.force)))
    return 0
