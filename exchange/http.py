"""The exchange as a real HTTP server process: `noskhe exchange serve --host H --port N --data DIR`.

DIR holds `exchange.db`, `admin.token` (the secret for /admin calls, readable only by its owner) and
`server.json` ({"url", "pid"}), written once the socket listens. Port 0 picks a free port.

The OCSP responder (`exchange.ocsp`) answers at POST /ocsp and GET /ocsp/{base64}, without login; it is down
with an outage but not slowed or failed by the other faults.

Admin calls (header `X-Admin-Token`), never subject to faults:
    GET|PUT /admin/faults     the fault switch (`exchange.faults`)
    GET     /admin/stats      counts proving exactly-once effects
    POST    /admin/facilities {"siam", "kind", "name", "active"} registers or changes a facility
    GET     /admin/ttac-sample?drug=CODE&n=N   genuine, undispensed pack codes (the shelf of a demo pharmacy)
    POST    /admin/revoke     {"certificate": PEM | "serial": hex, "reason"} revoked at the OCSP responder
    POST    /admin/council    {"number", "status": "suspended" | "active", "name"} the medical council's
                              verdict on a prescriber; the trust list is published again with it
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from collections.abc import Sequence
from typing import Any

from exchange.api import Answer, ExchangeApi, Request
from exchange.auth import Authenticator
from exchange.db import ExchangeDB
from exchange.dispensing import Dispensary
from exchange.errors import ExchangeError
from exchange.faults import FaultSwitch
from exchange.lookup import Lookup
from exchange.ocsp import CONTENT_TYPE as OCSP_CONTENT_TYPE
from exchange.ocsp import LocalOcsp, OcspResponder, dev_ca_key
from exchange.prescriptions import Registry
from exchange.seed import seed
from exchange.verify import Verifier


class TrustSource:
    """The trust list the exchange verifies with: the one it publishes (reloaded when its version changes)."""

    def __init__(self, db: ExchangeDB) -> None:
        self.db = db
        self._cached: tuple[str, Any] | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Any:
        from smartcard.trustlist import TrustList

        row = self.db.one("SELECT version, body FROM reference WHERE kind = 'trustlist'")
        if row is None:
            raise ExchangeError(
                503,
                "no-trust-list",
                "The exchange has no trust list configured.",
                "فهرست مراجع مورد اعتماد در سامانه تنظیم نشده است.",
            )
        with self._lock:
            if self._cached is None or self._cached[0] != row[0]:
                self._cached = (row[0], TrustList.from_json(row[1].encode("utf-8")))
            return self._cached[1]


class ExchangeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], data_dir: Path, *, ocsp_key: Path | None = None) -> None:
        from smartcard.status import StatusChecker

        self.data_dir = Path(data_dir)
        self.db = ExchangeDB(self.data_dir / "exchange.db")
        trust = TrustSource(self.db)
        # OCSP for the CA whose key is `ocsp_key`; the exchange checks what it receives with it too, so a
        # certificate revoked here is refused at once, before any CRL lists it
        self.ocsp = OcspResponder(self.db, trust, ocsp_key)
        revocation = StatusChecker(LocalOcsp(self.ocsp), remember=dt.timedelta(0))
        verifier = Verifier(trust, revocation)
        registry, lookup = Registry(self.db, verifier), Lookup(self.db)
        self.api = ExchangeApi(
            self.db,
            Authenticator(self.db, trust, revocation=revocation),
            registry,
            lookup,
            Dispensary(self.db, verifier, lookup),
        )
        self.faults = FaultSwitch()
        self.admin_token = secrets.token_urlsafe(24)
        token_file = self.data_dir / "admin.token"
        token_file.unlink(missing_ok=True)
        fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(self.admin_token)
        super().__init__(address, Handler)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ExchangeServer

    def setup(self) -> None:
        super().setup()
        # headers and body leave in separate writes: without this, Nagle + delayed ACK add ~40 ms per call
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        if os.environ.get("NOSKHE_EXCHANGE_LOG"):
            super().log_message(format, *args)

    def _read(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send_der(self, data: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", OCSP_CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send(self, answer: Answer) -> None:
        data = b"" if answer.body is None else json.dumps(answer.body, ensure_ascii=False).encode("utf-8")
        self.send_response(answer.status)
        if answer.body is not None:
            self.send_header("Content-Type", "application/fhir+json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in answer.headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        """Close the connection with no answer at all."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _serve(self) -> None:
        body = self._read()
        url = urllib.parse.urlsplit(self.path)
        req = Request(
            self.command,
            url.path,
            dict(urllib.parse.parse_qsl(url.query)),
            {k.lower(): v for k, v in self.headers.items()},
            body,
        )
        if url.path.startswith("/admin/"):
            self._send(self._admin(req))
            return
        faults = self.server.faults.current
        if faults.outage:
            self._drop()
            return
        if url.path == "/ocsp" and self.command == "POST" or url.path.startswith("/ocsp/"):
            # the responder started with the exchange: down with the network, not slowed by its faults
            self._send_der(self.server.ocsp.respond_http(self.command, url.path, body)[1])
            return
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        if self.server.faults.roll(faults.error_rate):
            status = 503 if self.server.faults.roll(0.5) else 500
            self._send(
                Answer(
                    status,
                    ExchangeError(
                        status, "injected-fault", "Injected server error.", "خطای ساختگی سرور."
                    ).body(),
                )
            )
            return
        answer = self.server.api.handle(req)
        if self.server.faults.roll(faults.drop_rate):
            self._drop()
            return
        self._send(answer)

    def _admin(self, req: Request) -> Answer:
        if not secrets.compare_digest(req.headers.get("x-admin-token", ""), self.server.admin_token):
            return Answer(
                401, ExchangeError(401, "admin", "Admin token required.", "نشانهٔ مدیر لازم است.").body()
            )
        try:
            if req.path == "/admin/faults" and req.method == "PUT":
                return Answer(200, self.server.faults.set(req.json() or {}))
            if req.path == "/admin/faults":
                return Answer(200, self.server.faults.get())
            if req.path == "/admin/stats":
                return Answer(200, self.server.db.stats())
            if req.path == "/admin/facilities" and req.method == "POST":
                f = req.json()
                with self.server.db.write() as c:
                    c.execute(
                        "INSERT OR REPLACE INTO facilities (siam, kind, name, active) VALUES (?,?,?,?)",
                        (f["siam"], f["kind"], f.get("name", ""), 1 if f.get("active", True) else 0),
                    )
                return Answer(200, f)
            if req.path == "/admin/council" and req.method == "POST":
                from exchange.seed import set_council_status

                m = req.json()
                version = set_council_status(
                    self.server.db, str(m["number"]), str(m.get("status", "suspended")), m.get("name", "")
                )
                return Answer(200, {**m, "trustlist": version})
            if req.path == "/admin/revoke" and req.method == "POST":
                return Answer(200, self.server.ocsp.revoke(req.json() or {}))
            if req.path == "/admin/ttac-sample":
                today = dt.date.today().isoformat()
                rows = self.server.db.all(
                    "SELECT code FROM packs WHERE drug_code = ? AND dispensing IS NULL AND expiry > ? ORDER BY code LIMIT ?",
                    (req.query.get("drug", ""), today, int(req.query.get("n", "1"))),
                )
                return Answer(200, {"codes": [r[0] for r in rows]})
        except (ValueError, KeyError, TypeError) as exc:
            return Answer(400, ExchangeError(400, "malformed", str(exc), str(exc)).body())
        except ExchangeError as exc:
            return Answer(exc.status, exc.body())
        return Answer(
            404, ExchangeError(404, "no-route", "No such admin call.", "چنین درخواستی نیست.").body()
        )

    do_GET = do_POST = do_PUT = do_DELETE = _serve


def serve(
    host: str,
    port: int,
    data_dir: Path,
    *,
    trust_list: Path | None = None,
    facilities: Sequence[tuple[str, str, str]] = (),
    tls: tuple[Path, Path] | None = None,  # type: ignore[assignment]
    ready: Any = None,
    ocsp_key: Path | None = None,
) -> None:
    """Run until SIGTERM/SIGINT. Seeds DIR on first start; `trust_list` (JSON or a directory) is published.
    OCSP is answered for the CA whose key is `ocsp_key` (default: the dev CA's `ca-key.pem` beside the
    trust list, when there is one; see `exchange.ocsp`)."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    server = ExchangeServer((host, port), data_dir, ocsp_key=ocsp_key or dev_ca_key(trust_list))
    trust_json = None
    if trust_list is not None:
        from smartcard.trustlist import TrustList

        trust_json = TrustList.from_file(trust_list).to_json()
    seed(server.db, trust_json)
    if server.db.one("SELECT 1 FROM reference WHERE kind = 'trustlist'") is None:
        print(
            "warning: no trust list (--trust-list FILE): every login and signature will be refused | "
            "هشدار: فهرست مراجع مورد اعتماد داده نشده است",
            file=sys.stderr,
            flush=True,
        )
    if facilities:
        with server.db.write() as c:
            c.executemany("INSERT OR REPLACE INTO facilities (siam, kind, name) VALUES (?,?,?)", facilities)
    scheme = "http"
    if tls is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(tls[0]), str(tls[1]))
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    url = f"{scheme}://{host}:{server.server_address[1]}"
    tmp = data_dir / "server.json.tmp"
    tmp.write_text(json.dumps({"url": url, "pid": os.getpid()}))
    os.replace(tmp, data_dir / "server.json")
    print(f"exchange listening on {url} (data in {data_dir}) | سامانهٔ تبادل آماده است", flush=True)
    if ready is not None:
        ready(url)

    def stop(*_: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        (data_dir / "server.json").unlink(missing_ok=True)
        print("exchange stopped | سامانهٔ تبادل متوقف شد", file=sys.stderr, flush=True)
