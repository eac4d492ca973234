"""The exchange as a real HTTP server process: `noskhe exchange serve --host H --port N --data DIR [--workers W]`.

gunicorn serves the WSGI application `exchange.wsgi.ExchangeApp`: an arbiter process holds the socket, W
worker processes (default: one per core, 2 to 4) each run the application with `THREADS` threads (a slow
client holds one only until its body times out, `exchange.wsgi.BODY_IDLE`); whatever they share (tokens, the fault switch, revocations) is in DIR's database. Tests that want the exchange inside their
own process run the same application in `ExchangeServer`, a threaded server of the standard library.

DIR holds `exchange.db`, `admin.token` (the secret for /admin calls, readable only by its owner),
`server.json` ({"url", "pid": the arbiter's}), written once a worker is ready to answer, and `exchange.log`
(gunicorn's own messages). Port 0 picks a free port. SIGTERM stops it (workers finish what they are doing).

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

import json
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from exchange.ocsp import dev_ca_key
from exchange.wsgi import ExchangeApp, TrustSource, prepare

#: threads per worker process
THREADS = 16


def default_workers() -> int:
    """One worker per core, at least 2 and at most 4."""
    return max(2, min(4, os.cpu_count() or 2))


class _Handler(WSGIRequestHandler):
    def setup(self) -> None:
        super().setup()
        # headers and body leave in separate writes: without this, Nagle + delayed ACK add ~40 ms per call
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def get_environ(self) -> dict[str, Any]:
        env = super().get_environ()
        env["noskhe.socket"] = self.connection  # how the application drops a call unanswered
        return env

    def log_message(self, format: str, *args: Any) -> None:
        if os.environ.get("NOSKHE_EXCHANGE_LOG"):
            super().log_message(format, *args)


class ExchangeServer(ThreadingMixIn, WSGIServer):
    """The exchange application (`exchange.wsgi.ExchangeApp`) on a threaded server inside this process, for
    tests: DIR is made ready (`prepare`) and served at `address` until `shutdown()`."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], data_dir: Path, *, ocsp_key: Path | None = None) -> None:
        self.data_dir = Path(data_dir)
        prepare(self.data_dir)
        self.app = ExchangeApp(self.data_dir, ocsp_key=ocsp_key)
        self.db, self.api, self.faults, self.ocsp = self.app.db, self.app.api, self.app.faults, self.app.ocsp
        super().__init__(address, _Handler)
        self.set_app(self.app)


def _write_server_json(data_dir: Path, url: str, pid: int) -> bool:
    """Write DIR/server.json once (the first worker ready); False when it is there already."""
    try:
        fd = os.open(data_dir / "server.json.lock", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    os.close(fd)
    tmp = data_dir / "server.json.tmp"
    tmp.write_text(json.dumps({"url": url, "pid": pid}))
    os.replace(tmp, data_dir / "server.json")
    return True


def _check_free(host: str, port: int) -> None:
    """Raise `ConfigError` at once when `host:port` cannot be listened on (gunicorn would retry for seconds
    and say so only in its log)."""
    from app.errors import ConfigError

    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise ConfigError(
                f"Cannot listen on {host}:{port}: {exc.strerror or exc}.",
                f"روی {host}:{port} نمی‌توان منتظر درخواست ماند: {exc.strerror or exc}.",
            ) from None


def serve(
    host: str,
    port: int,
    data_dir: Path,
    *,
    trust_list: Path | None = None,
    facilities: Sequence[tuple[str, str, str]] = (),
    tls: tuple[Path, Path] | None = None,
    ocsp_key: Path | None = None,
    workers: int | None = None,
) -> None:
    """Run until SIGTERM/SIGINT with `workers` worker processes (default `default_workers()`). Seeds DIR on
    first start; `trust_list` (JSON or a directory) is published. OCSP is answered for the CA whose key is
    `ocsp_key` (default: the dev CA's `ca-key.pem` beside the trust list, when there is one; see
    `exchange.ocsp`). `tls` is (certificate chain, key), PEM: HTTPS."""
    from gunicorn.app.base import BaseApplication

    data_dir = Path(data_dir).resolve()
    _check_free(host, port)
    trust_json = None
    if trust_list is not None:
        from smartcard.trustlist import TrustList

        trust_json = TrustList.from_file(trust_list).to_json()
    db = prepare(data_dir, trust_json)
    if db.one("SELECT 1 FROM reference WHERE kind = 'trustlist'") is None:
        print(
            "warning: no trust list (--trust-list FILE): every login and signature will be refused | "
            "هشدار: فهرست مراجع مورد اعتماد داده نشده است",
            file=sys.stderr,
            flush=True,
        )
    if facilities:
        with db.write() as c:
            c.executemany("INSERT OR REPLACE INTO facilities (siam, kind, name) VALUES (?,?,?)", facilities)
    db.close()  # no connection crosses the fork into the workers
    key = ocsp_key or dev_ca_key(trust_list)
    key = Path(key).resolve() if key else None
    for stale in ("server.json", "server.json.lock"):
        (data_dir / stale).unlink(missing_ok=True)
    scheme = "https" if tls is not None else "http"
    bind_host = f"[{host}]" if ":" in host else host

    def post_worker_init(worker: Any) -> None:
        import logging

        # the application's own errors (an internal error's traceback) beside gunicorn's messages
        handler: logging.Handler = (
            logging.StreamHandler()
            if os.environ.get("NOSKHE_EXCHANGE_LOG")
            else logging.FileHandler(data_dir / "exchange.log", encoding="utf-8")
        )
        handler.setFormatter(logging.Formatter("[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s"))
        logging.basicConfig(level=logging.WARNING, handlers=[handler])
        port_now = worker.sockets[0].getsockname()[1]
        url = f"{scheme}://{bind_host}:{port_now}"
        if _write_server_json(data_dir, url, worker.ppid):
            print(
                f"exchange listening on {url} with {options['workers']} workers (data and exchange.log in "
                f"{data_dir}) | سامانهٔ تبادل آماده است",
                flush=True,
            )

    def on_exit(_arbiter: Any) -> None:
        for done in ("server.json", "server.json.lock"):
            (data_dir / done).unlink(missing_ok=True)
        print("exchange stopped | سامانهٔ تبادل متوقف شد", file=sys.stderr, flush=True)

    options: dict[str, Any] = {
        "bind": [f"{bind_host}:{port}"],
        "workers": workers or default_workers(),
        "worker_class": "gthread",
        "threads": THREADS,
        "keepalive": 5,
        "timeout": 120,  # a worker silent this long is replaced (a latency fault may hold a call a while)
        "graceful_timeout": 5,
        "backlog": 256,
        "errorlog": "-" if os.environ.get("NOSKHE_EXCHANGE_LOG") else str(data_dir / "exchange.log"),
        "accesslog": "-" if os.environ.get("NOSKHE_EXCHANGE_LOG") else None,
        "loglevel": "info" if os.environ.get("NOSKHE_EXCHANGE_LOG") else "warning",
        "proc_name": "noskhe-exchange",
        "control_socket_disable": True,
        "post_worker_init": post_worker_init,
        "on_exit": on_exit,
    }
    if tls is not None:
        options["certfile"], options["keyfile"] = str(tls[0]), str(tls[1])

    class Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for name, value in options.items():
                self.cfg.set(name, value)

        def load(self) -> ExchangeApp:
            return ExchangeApp(data_dir, ocsp_key=key)

    Gunicorn().run()


__all__ = ["ExchangeServer", "THREADS", "TrustSource", "default_workers", "serve"]
