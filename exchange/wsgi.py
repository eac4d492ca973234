"""The exchange as a WSGI application (`ExchangeApp`): what every HTTP server of it runs — gunicorn's worker
processes in `noskhe exchange serve` (`exchange.http.serve`), the threaded server tests start in process
(`exchange.http.ExchangeServer`).

The edge, before any work:
- `Content-Length` is read before the body: not a decimal number (`abc`, `-1`, `1e3`) → 400 `bad-length`;
  more than `MAX_BODY` bytes → 413 `too-large`, the body left unread. A body without a length (chunked) is
  read up to `MAX_BODY` + 1 bytes and refused the same way when longer (411 from a server that does not
  decode chunked bodies itself).
- A body read stalls no thread: `BODY_IDLE` seconds without a byte, or `BODY_DEADLINE` seconds in all →
  408 `body-timeout` and the connection is closed (a body that ends early → 400 `body-incomplete`).
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
import threading
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
#: seconds a body may go without a byte arriving, and in all, before it is answered 408 (a slow client must
#: not hold one of the worker's threads)
BODY_IDLE = 5.0
BODY_DEADLINE = 30.0
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
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)  # a new one: the owner's only (an existing kept)
    db = ExchangeDB(data_dir / "exchange.db")
    for made in data_dir.glob("exchange.db*"):  # patients' prescriptions (the -wal/-shm files follow its mode)
        os.chmod(made, 0o600)
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
            sent = self._send(start_response, body)
            return _Closing(sent, _socket_of(environ)) if body.status in (400, 408) else sent
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
        if raw is None or raw == "":
            if "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
                return b""
            if not environ.get("wsgi.input_terminated"):  # a server that does not decode chunked bodies
                return refusal(411, "length-required", "Content-Length is required.", "طول بدنه لازم است.")
            data = _read_body(environ, MAX_BODY + 1, exact=False)  # no more than the limit is read
            if isinstance(data, Answer):
                return data
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
        return _read_body(environ, n) if n else b""

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


def _socket_of(environ: dict[str, Any]) -> socket.socket | None:
    sock = environ.get("gunicorn.socket") or environ.get("noskhe.socket")
    return sock if isinstance(sock, socket.socket) else None


class _Watchdog:
    """Shuts the reading half of a socket whose body is not in by its deadline, so that a read blocked on it
    returns at once (one daemon thread per process, started on first use, i.e. after the worker's fork)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._due: dict[int, tuple[float, socket.socket]] = {}
        self._pid = 0
        self._next = 0

    def watch(self, sock: socket.socket, seconds: float) -> int:
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._due.clear()
                threading.Thread(target=self._run, name="body-deadlines", daemon=True).start()
            self._next += 1
            self._due[self._next] = (time.monotonic() + seconds, sock)
            return self._next

    def release(self, key: int) -> bool:
        """False when the deadline had already passed (the socket was shut)."""
        with self._lock:
            return self._due.pop(key, None) is not None

    def _run(self) -> None:
        while True:
            time.sleep(0.25)
            now = time.monotonic()
            with self._lock:
                late = [k for k, (due, _) in self._due.items() if due <= now]
                socks = [self._due.pop(k)[1] for k in late]
            for sock in socks:
                try:
                    sock.shutdown(socket.SHUT_RD)
                except OSError:
                    pass


_WATCHDOG = _Watchdog()


def _body_timeout() -> Answer:
    return refusal(
        408,
        "body-timeout",
        f"The request body did not arrive in time ({BODY_IDLE:g} s between bytes, {BODY_DEADLINE:g} s in all).",
        f"بدنهٔ درخواست به‌موقع نرسید ({BODY_IDLE:g} ثانیه میان بایت‌ها، {BODY_DEADLINE:g} ثانیه در کل).",
    )


def _read_body(environ: dict[str, Any], n: int, *, exact: bool = True) -> bytes | Answer:
    """Up to `n` bytes of the body (exactly `n` when `exact`), read with `BODY_IDLE` seconds allowed between
    bytes and `BODY_DEADLINE` in all; 408 when either passes, 400 when the client ends the body early."""
    stream = environ["wsgi.input"]
    sock = _socket_of(environ)
    if sock is None:  # a server that does not tell its socket: read as it reads
        return bytes(stream.read(n))
    before = sock.gettimeout()
    key = _WATCHDOG.watch(sock, BODY_DEADLINE)
    try:
        sock.settimeout(BODY_IDLE)
        data = bytes(stream.read(n))
    except (OSError, ValueError):  # a timeout (TimeoutError is an OSError), or a reader left unusable by one
        _WATCHDOG.release(key)
        return _body_timeout()
    finally:
        try:
            sock.settimeout(before)
        except OSError:
            pass
    if not _WATCHDOG.release(key):
        return _body_timeout()
    if exact and len(data) < n:
        return refusal(
            400, "body-incomplete", "The request body ended before its length.", "بدنهٔ درخواست ناقص رسید."
        )
    return data


class _Closing(list[bytes]):
    """An answer after which the connection is closed (its body was not read to the end)."""

    def __init__(self, parts: list[bytes], sock: socket.socket | None) -> None:
        super().__init__(parts)
        self._sock = sock

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


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
