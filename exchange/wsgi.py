"""The exchange as a WSGI application (`ExchangeApp`): what every HTTP server of it runs — gunicorn's worker
processes in `noskhe exchange serve` (`exchange.http.serve`), the threaded server tests start in process
(`exchange.http.ExchangeServer`).

The edge, before any work:
- `Content-Length` is read before the body: not a decimal number (`abc`, `-1`, `1e3`) → 400 `bad-length`;
  more than `MAX_BODY` bytes → 413 `too-large`, the body left unread. A body without a length (chunked) is
  read up to `MAX_BODY` + 1 bytes and refused the same way when longer (411 from a server that does not
  decode chunked bodies itself).
- A body nested deeper than `MAX_DEPTH` (arrays and objects) → 400 `too-deep`, before it is parsed.
- Every other answer comes from `ExchangeApi` (`exchange.api`), the admin calls (`exchange.http` docstring)
  and the OCSP responder; faults (`exchange.faults`) are applied here, the same in every server.

Every answer names the worker process that gave it (`X-Exchange-Worker: <pid>`). A dropped call (an outage, `drop_rate`) shuts the connection's socket down with no answer; the server finds
the socket as `gunicorn.socket` (gunicorn) or `noskhe.socket` (the in-process server).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import socket
import time
import urllib.parse
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from exchange.api import Answer, ExchangeApi, Request
from exchange.auth import Authenticator
from exchange.db import ExchangeDB
from exchange.dispensing import Dispensary
from exchange.errors import ExchangeError
from exchange.faults import FaultSwitch
from exchange.lookup import Lookup
from exchange.ocsp import CONTENT_TYPE as OCSP_CONTENT_TYPE
from exchange.ocsp import OcspResponder, ResponderStatus
from exchange.prescriptions import Registry
from exchange.verify import Verifier

#: the largest body taken (bytes): a full batch of 100 signed prescriptions is about 2 MiB
MAX_BODY = 8 * 1024 * 1024
#: the deepest nesting of arrays and objects taken (a FHIR Bundle of prescriptions is about 12 deep)
MAX_DEPTH = 64
_DIGITS = re.compile(r"[0-9]{1,19}")
_TOKENS = re.compile(rb'\\.|["\[\]{}]', re.S)

StartResponse = Callable[..., Any]


def refusal(status: int, code: str, en: str, fa: str) -> Answer:
    """An `Answer` carrying `ExchangeError(status, code, en, fa)`'s OperationOutcome."""
    return Answer(status, ExchangeError(status, code, en, fa).body())


def too_deep(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """True when `body` (JSON text) nests arrays and objects deeper than `limit`; brackets inside strings are
    not counted. Linear in the body's brackets and quotes, so it runs before `json.loads` (which recurses)."""
    depth, in_string = 0, False
    for m in _TOKENS.finditer(body):
        ch = m.group()
        if len(ch) == 2:  # an escaped character inside a string
            continue
        if ch == b'"':
            in_string = not in_string
        elif in_string:
            continue
        elif ch in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def prepare(data_dir: Path, trust_json: bytes | None = None) -> ExchangeDB:
    """Make DIR ready for a server: the database seeded (the trust list `trust_json` published), a new
    admin secret in `admin.token` (0600), the fault switch off. Returns the open database."""
    from exchange.seed import seed

    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    db = ExchangeDB(data_dir / "exchange.db")
    seed(db, trust_json)
    with db.write() as c:
        c.execute("DELETE FROM fault_switch")
    token_file = data_dir / "admin.token"
    token_file.unlink(missing_ok=True)
    fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(24))
    return db


class TrustSource:
    """The trust list the exchange verifies with: the one it publishes (reloaded when its version changes)."""

    def __init__(self, db: ExchangeDB) -> None:
        self.db = db
        self._cached: tuple[str, Any] | None = None

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
        cached = self._cached
        if cached is None or cached[0] != row[0]:
            cached = self._cached = (row[0], TrustList.from_json(row[1].encode("utf-8")))
        return cached[1]


class ExchangeApp:
    """The WSGI application over DIR (made ready by `prepare`): one per worker process."""

    def __init__(self, data_dir: Path, *, ocsp_key: Path | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.db = ExchangeDB(self.data_dir / "exchange.db")
        trust = TrustSource(self.db)
        # OCSP for the CA whose key is `ocsp_key`; the exchange checks what it receives with it too, so a
        # certificate revoked here is refused at once, before any CRL lists it
        self.ocsp = OcspResponder(self.db, trust, ocsp_key)
        revocation = ResponderStatus(self.ocsp)  # what the responder would answer, read for every signature
        verifier = Verifier(trust, revocation)
        lookup = Lookup(self.db)
        self.api = ExchangeApi(
            self.db,
            Authenticator(self.db, trust, revocation=revocation),
            Registry(self.db, verifier),
            lookup,
            Dispensary(self.db, verifier, lookup),
        )
        self.faults = FaultSwitch(self.db)
        self.admin_token = (self.data_dir / "admin.token").read_text().strip()

    # ---- WSGI ---------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/") or "/"
        query = environ.get("QUERY_STRING", "")
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        body = self._body(environ)
        if isinstance(body, Answer):
            return self._send(start_response, body)
        req = Request(method, path, dict(urllib.parse.parse_qsl(query)), headers, body)
        if path.startswith("/admin/"):
            return self._send(start_response, self._admin(req))
        faults = self.faults.current
        if faults.outage:
            return self._drop(environ, start_response)
        if path == "/ocsp" and method == "POST" or path.startswith("/ocsp/"):
            # the responder started with the exchange: down with the network, not slowed by its faults
            der = self.ocsp.respond_http(method, path, body)[1]
            start_response(
                "200 OK", [("Content-Type", OCSP_CONTENT_TYPE), ("Content-Length", str(len(der)))]
            )
            return [der]
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        if self.faults.roll(faults.error_rate):
            status = 503 if self.faults.roll(0.5) else 500
            return self._send(
                start_response, refusal(status, "injected-fault", "Injected server error.", "خطای ساختگی سرور.")
            )
        if body and too_deep(body):
            return self._send(
                start_response,
                refusal(
                    400,
                    "too-deep",
                    f"The body nests deeper than {MAX_DEPTH} levels.",
                    f"بدنهٔ درخواست بیش از {MAX_DEPTH} سطح تودرتو است.",
                ),
            )
        answer = self.api.handle(req)
        if self.faults.roll(faults.drop_rate):
            return self._drop(environ, start_response)
        return self._send(start_response, answer)

    @staticmethod
    def _body(environ: dict[str, Any]) -> bytes | Answer:
        """The request body, or the refusal of it, decided from the headers before any of it is read."""
        raw = environ.get("CONTENT_LENGTH")
        stream = environ["wsgi.input"]
        if raw is None or raw == "":
            if "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
                return b""
            if not environ.get("wsgi.input_terminated"):  # a server that does not decode chunked bodies
                return refusal(411, "length-required", "Content-Length is required.", "طول بدنه لازم است.")
            data = stream.read(MAX_BODY + 1)  # a body without a length: no more than the limit is read
            return _too_large() if len(data) > MAX_BODY else data
        text = str(raw).strip()
        if not _DIGITS.fullmatch(text):
            return refusal(
                400,
                "bad-length",
                "Content-Length is not a number of bytes.",
                "طول بدنهٔ درخواست (Content-Length) عدد نیست.",
            )
        n = int(text)
        if n > MAX_BODY:
            return _too_large()
        return stream.read(n) if n else b""

    @staticmethod
    def _send(start_response: StartResponse, answer: Answer) -> list[bytes]:
        data = b"" if answer.body is None else json.dumps(answer.body, ensure_ascii=False).encode("utf-8")
        headers = [("Content-Length", str(len(data))), ("X-Exchange-Worker", str(os.getpid()))]
        if answer.body is not None:
            headers.append(("Content-Type", "application/fhir+json; charset=utf-8"))
        headers.extend(answer.headers.items())
        start_response(f"{answer.status} {_phrase(answer.status)}", headers)
        return [data]

    @staticmethod
    def _drop(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        """Close the connection with no answer at all: the socket is shut down, so what the server then
        writes fails as writing to a client gone does (quietly, in both servers)."""
        sock = environ.get("gunicorn.socket") or environ.get("noskhe.socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        start_response("503 Service Unavailable", [("Content-Length", "0")])
        return [b""]

    def _admin(self, req: Request) -> Answer:
        if not secrets.compare_digest(req.headers.get("x-admin-token", ""), self.admin_token):
            return refusal(401, "admin", "Admin token required.", "نشانهٔ مدیر لازم است.")
        try:
            return self._admin_call(req)
        except (ValueError, KeyError, TypeError) as exc:
            return refusal(400, "malformed", str(exc), str(exc))
        except ExchangeError as exc:
            return Answer(exc.status, exc.body())

    def _admin_call(self, req: Request) -> Answer:
        if req.path == "/admin/faults" and req.method == "PUT":
            return Answer(200, self.faults.set(req.json() or {}))
        if req.path == "/admin/faults":
            return Answer(200, self.faults.get())
        if req.path == "/admin/stats":
            return Answer(200, self.db.stats())
        if req.path == "/admin/facilities" and req.method == "POST":
            f = req.json()
            with self.db.write() as c:
                c.execute(
                    "INSERT OR REPLACE INTO facilities (siam, kind, name, active) VALUES (?,?,?,?)",
                    (f["siam"], f["kind"], f.get("name", ""), 1 if f.get("active", True) else 0),
                )
            return Answer(200, f)
        if req.path == "/admin/council" and req.method == "POST":
            from exchange.seed import set_council_status

            m = req.json()
            version = set_council_status(self.db, str(m["number"]), str(m.get("status", "suspended")), m.get("name", ""))
            return Answer(200, {**m, "trustlist": version})
        if req.path == "/admin/revoke" and req.method == "POST":
            return Answer(200, self.ocsp.revoke(req.json() or {}))
        if req.path == "/admin/ttac-sample":
            today = dt.date.today().isoformat()
            rows = self.db.all(
                "SELECT code FROM packs WHERE drug_code = ? AND dispensing IS NULL AND expiry > ? ORDER BY code LIMIT ?",
                (req.query.get("drug", ""), today, int(req.query.get("n", "1"))),
            )
            return Answer(200, {"codes": [r[0] for r in rows]})
        return refusal(404, "no-route", "No such admin call.", "چنین درخواستی نیست.")


def _too_large() -> Answer:
    return refusal(
        413,
        "too-large",
        f"The body is larger than {MAX_BODY // (1024 * 1024)} MiB.",
        f"بدنهٔ درخواست بزرگ‌تر از {MAX_BODY // (1024 * 1024)} مگابایت است.",
    )


def _phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


__all__ = ["MAX_BODY", "MAX_DEPTH", "ExchangeApp", "TrustSource", "prepare", "too_deep"]
