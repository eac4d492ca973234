"""The reference exchange as a child process (`noskhe exchange serve`), for the demo, tests and benchmarks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ExchangeProcess:
    """Start, wait until it listens (it writes `DATA/server.json`), stop. Port 0 picks a free one."""

    def __init__(self, data: Path, trust_list: Path, port: int = 0, extra: tuple[str, ...] = ()) -> None:
        # the child runs in the project's folder: relative paths are made absolute here, in the caller's
        self.data, self.trust_list = Path(data).resolve(), Path(trust_list).resolve()
        self.port, self.extra = port, extra
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.listening_at: float | None = None  # time.monotonic() when it answered

    def start(self, timeout: float = 30) -> ExchangeProcess:
        (self.data / "server.json").unlink(missing_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "app",
            "exchange",
            "serve",
            "--port",
            str(self.port),
            "--data",
            str(self.data),
            "--trust-list",
            str(self.trust_list),
            *self.extra,
        ]
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while not (self.data / "server.json").exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr and self.proc.poll() is not None else ""
                log = self.data / "exchange.log"  # gunicorn's own messages (a port in use, a worker failing)
                if log.exists():
                    err = f"{err}\n{log.read_text(errors='replace')[-1000:]}"
                self.stop()
                raise RuntimeError(f"the exchange did not start: {err.strip()[-500:]}")
            time.sleep(0.01)
        self.listening_at = time.monotonic()
        self.url = json.loads((self.data / "server.json").read_text())["url"]
        self.port = int(self.url.rsplit(":", 1)[1])
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.running():
            assert self.proc is not None
            self.proc.terminate()
            self.proc.wait(10)
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()
