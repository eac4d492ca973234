"""The reference exchange (development, tests, demo):

noskhe exchange serve --host 127.0.0.1 --port 8700 --data DIR [--trust-list FILE] [--facility SIAM:KIND:NAME]…
                      [--workers N]   (gunicorn worker processes; default one per core, 2 to 4)
noskhe exchange fault --data DIR [--latency-ms N] [--error-rate R] [--drop-rate R] [--outage on|off]
noskhe exchange stats --data DIR
noskhe exchange revoke --data DIR --certificate FILE.pem | --serial HEX [--reason R]   (its OCSP responder)
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from app.errors import ConfigError


def register(sub: Any) -> None:
    ex = sub.add_parser(
        "exchange", help="the reference national exchange (development and demo)"
    ).add_subparsers(dest="exchange_cmd", metavar="ACTION")
    p = ex.add_parser("serve", help="run the reference exchange as an HTTP server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8700, help="0 picks a free port (see DIR/server.json)")
    p.add_argument("--data", required=True, metavar="DIR", help="the exchange's own data directory")
    p.add_argument(
        "--trust-list", help="trust list to verify signatures with and to publish (JSON or directory)"
    )
    p.add_argument(
        "--facility",
        action="append",
        default=[],
        metavar="SIAM:KIND:NAME",
        help="register a facility (kind clinic or pharmacy); repeatable",
    )
    p.add_argument("--tls-cert", help="serve HTTPS with this certificate chain (PEM)")
    p.add_argument("--tls-key", help="the TLS private key (PEM)")
    p.add_argument(
        "--ocsp-key",
        help="answer OCSP for the CA with this private key (PEM; default: ca-key.pem beside the trust list)",
    )
    p.add_argument("--workers", type=int, help="worker processes (default: one per core, 2 to 4)")
    p.set_defaults(handler=cmd_serve)

    p = ex.add_parser("fault", help="change fault injection on a running exchange")
    p.add_argument("--data", required=True, metavar="DIR")
    p.add_argument("--latency-ms", type=int)
    p.add_argument("--error-rate", type=float)
    p.add_argument("--drop-rate", type=float, help="share of calls committed and then left unanswered")
    p.add_argument("--outage", choices=["on", "off"])
    p.set_defaults(handler=cmd_fault)

    p = ex.add_parser("stats", help="counts of a running exchange (registrations, replays, dispensings)")
    p.add_argument("--data", required=True, metavar="DIR")
    p.set_defaults(handler=cmd_stats)

    p = ex.add_parser("revoke", help="revoke a certificate at the running exchange's OCSP responder")
    p.add_argument("--data", required=True, metavar="DIR")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--certificate", metavar="FILE.pem", help="the certificate to revoke (PEM)")
    what.add_argument("--serial", metavar="HEX", help="or its serial number, in hex")
    p.add_argument("--reason", default="unspecified", help="RFC 5280 reason, e.g. key_compromise")
    p.set_defaults(handler=cmd_revoke)


def cmd_serve(args: Any, ctx: Any) -> int:
    from exchange.http import serve

    facilities = []
    for spec in args.facility:
        parts = spec.split(":", 2)
        if len(parts) < 2 or parts[1] not in ("clinic", "pharmacy"):
            raise ConfigError(
                f"--facility {spec!r} must be SIAM:clinic|pharmacy:NAME.",
                "‎--facility‎ باید به شکل سیام:clinic|pharmacy:نام باشد.",
            )
        facilities.append((parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
    if bool(args.tls_cert) != bool(args.tls_key):
        raise ConfigError("Give both --tls-cert and --tls-key.", "هر دو ‎--tls-cert‎ و ‎--tls-key‎ را بدهید.")
    serve(
        args.host,
        args.port,
        Path(args.data),
        trust_list=Path(args.trust_list) if args.trust_list else None,
        facilities=facilities,
        tls=(Path(args.tls_cert), Path(args.tls_key)) if args.tls_cert else None,
        ocsp_key=Path(args.ocsp_key) if args.ocsp_key else None,
        workers=args.workers,
    )
    return 0


def admin_call(data: Path, method: str, path: str, body: Any = None) -> Any:
    """Call an admin endpoint of the exchange running on `data` (reads its URL and admin token there)."""
    try:
        info = json.loads((data / "server.json").read_text())
        token = (data / "admin.token").read_text().strip()
    except (OSError, ValueError):
        raise ConfigError(
            f"No exchange is running on {data}.", f"هیچ سامانهٔ تبادلی روی {data} در حال اجرا نیست."
        ) from None
    req = urllib.request.Request(
        info["url"] + path,
        method=method,
        headers={"X-Admin-Token": token, "Content-Type": "application/json"},
        data=None if body is None else json.dumps(body).encode(),
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def cmd_fault(args: Any, ctx: Any) -> int:
    changes: dict[str, Any] = {}
    for name in ("latency_ms", "error_rate", "drop_rate"):
        if getattr(args, name) is not None:
            changes[name] = getattr(args, name)
    if args.outage:
        changes["outage"] = args.outage == "on"
    print(json.dumps(admin_call(Path(args.data), "PUT", "/admin/faults", changes), indent=1))
    return 0


def cmd_stats(args: Any, ctx: Any) -> int:
    print(json.dumps(admin_call(Path(args.data), "GET", "/admin/stats"), indent=1, ensure_ascii=False))
    return 0


def cmd_revoke(args: Any, ctx: Any) -> int:
    """Revoke a certificate at the running exchange's OCSP responder (before any CRL knows it)."""
    from app.cli.common import read_file

    body: dict[str, Any] = {"reason": args.reason}
    if args.certificate:
        body["certificate"] = read_file(args.certificate).decode("ascii", "replace")
    else:
        body["serial"] = args.serial
    done = admin_call(Path(args.data), "POST", "/admin/revoke", body)
    print(f"certificate {done['serial']} revoked at the exchange's OCSP responder ({done['reason']}) | باطل شد")
    return 0
