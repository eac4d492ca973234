"""PKCS#11 modules and tokens: loading a module, listing tokens, and the one thread that talks to them.

Many modules are initialised for single-threaded use and many tokens refuse a second login, so every call
into a module runs on one dedicated thread per module path (`TokenThread`), and each token has one shared
session (`TokenSession`, in `smartcard.session`) handed out by `Pkcs11Module.session()`.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import threading
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import pkcs11
from pkcs11 import TokenFlag

from smartcard.config import SmartcardConfig
from smartcard.errors import ModuleUnavailable, TokenNotFound
from smartcard.monitor import TokenMonitor
from smartcard.session import TokenSession
from smartcard.tokeninfo import TokenInfo, token_info

__all__ = ["Pkcs11Module", "TokenInfo", "TokenThread", "token_info"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class TokenThread:
    """A single worker thread for one PKCS#11 module; `run()` waits for the result, `submit()` does not."""

    _by_path: ClassVar[dict[str, TokenThread]] = {}
    _registry_lock = threading.Lock()

    def __init__(self, name: str) -> None:
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._ident: int | None = None
        self._ident_known = threading.Event()
        self._executor.submit(self._remember_ident)
        self._ident_known.wait()

    def _remember_ident(self) -> None:
        self._ident = threading.get_ident()
        self._ident_known.set()

    @classmethod
    def for_path(cls, path: str) -> TokenThread:
        """The thread that owns module `path`; the same object for the same path, for the process's life."""
        key = os.path.realpath(path)
        with cls._registry_lock:
            if key not in cls._by_path:
                cls._by_path[key] = cls(f"pkcs11-{os.path.basename(path)}")
            return cls._by_path[key]

    def is_current(self) -> bool:
        return threading.get_ident() == self._ident

    def assert_current(self) -> None:
        """Guard for code that touches PKCS#11 objects: it must be running on this thread."""
        assert self.is_current(), "PKCS#11 call outside the token thread"

    def submit(self, fn: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
        return self._executor.submit(fn, *args)

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        if self.is_current():
            return fn(*args)
        return self._executor.submit(fn, *args).result()


class Pkcs11Module:
    """A loaded PKCS#11 module. Use `Pkcs11Module.load()` to share one per path across the process.

    `lib` replaces the real library object (tests wrap it to simulate a removed token). A missing or
    broken module raises `ModuleUnavailable` with the path in the message, never a crash.
    """

    _shared: ClassVar[dict[str, Pkcs11Module]] = {}
    _shared_lock = threading.Lock()

    def __init__(self, path: str, *, lib: Any = None, config: SmartcardConfig | None = None) -> None:
        self.path = path
        self.config = config or SmartcardConfig(module_path=path)
        if lib is None and not os.path.isfile(path):
            raise self._not_found(path)
        self.thread = TokenThread.for_path(path)
        self._lib = lib if lib is not None else self.thread.run(self._load, path)
        self._sessions: dict[str, TokenSession] = {}
        self._sessions_lock = threading.Lock()
        self._monitor: TokenMonitor | None = None

    @classmethod
    def load(cls, config: SmartcardConfig | None = None) -> Pkcs11Module:
        """The process-wide module for `config.module_path` (default: from the environment).
        The first caller's settings (poll interval, PIN-try limit) hold for the process."""
        config = config or SmartcardConfig.from_env()
        key = os.path.realpath(config.module_path)
        with cls._shared_lock:
            module = cls._shared.get(key)
            if module is None:
                module = cls._shared[key] = cls(config.module_path, config=config)
            return module

    @staticmethod
    def _not_found(path: str) -> ModuleUnavailable:
        return ModuleUnavailable(
            f"PKCS#11 module not found at {path}. Set NOSKHE_PKCS11_MODULE to your card's module "
            "(OpenSC for the national card, or your token vendor's library).",
            f"ماژول PKCS#11 در {path} پیدا نشد. مسیر ماژول کارت یا توکن را در NOSKHE_PKCS11_MODULE بگذارید.",
            path=path,
        )

    @staticmethod
    def _load(path: str) -> Any:
        try:
            return pkcs11.lib(path)
        except pkcs11.PKCS11Error as exc:
            hint = (
                " SoftHSM2 reads SOFTHSM2_CONF: is it set (see `noskhe devtoken init`)?"
                if "softhsm" in path
                else ""
            )
            raise ModuleUnavailable(
                f"The PKCS#11 module at {path} could not be loaded ({type(exc).__name__}).{hint}",
                f"ماژول PKCS#11 در {path} بارگذاری نشد ({type(exc).__name__}).",
                path=path,
            ) from None

    @property
    def lib(self) -> Any:
        self.thread.assert_current()
        return self._lib

    def tokens(self) -> list[TokenInfo]:
        """Every token present now, in slot order."""
        return self.thread.run(self._tokens)

    def _tokens(self) -> list[TokenInfo]:
        found = []
        for slot in self.lib.get_slots(token_present=True):
            try:
                token = slot.get_token()
            except pkcs11.PKCS11Error:
                continue  # a reader emptied between the two calls
            if int(token.flags) & TokenFlag.TOKEN_INITIALIZED:
                found.append(token_info(slot, token))
        return found

    def find_token(self, label: str | None = None, serial: str | None = None) -> TokenInfo:
        """The token with this label/serial, or the only token present; `TokenNotFound` otherwise."""
        tokens = self.tokens()
        matches = [
            t
            for t in tokens
            if (label is None or t.label == label) and (serial is None or t.serial == serial)
        ]
        if len(matches) == 1:
            return matches[0]
        wanted = label or serial
        if not matches:
            raise TokenNotFound(
                f"No token {wanted!r} is present."
                if wanted
                else "No token is present; insert your card or token.",
                f"توکن «{wanted}» وصل نیست." if wanted else "هیچ توکن یا کارتی وصل نیست؛ آن را وصل کنید.",
            )
        raise TokenNotFound(
            "Several tokens are present; choose one with --token LABEL or NOSKHE_TOKEN_LABEL.",
            "چند توکن وصل است؛ یکی را با ‎--token‎ یا NOSKHE_TOKEN_LABEL انتخاب کنید.",
            labels=[t.label for t in matches],
        )

    def session(self, label: str | None = None, serial: str | None = None) -> TokenSession:
        """The shared `TokenSession` of one token (created on first use, not yet logged in)."""
        info = self.find_token(label, serial)
        with self._sessions_lock:
            session = self._sessions.get(info.serial)
            if session is None:
                session = self._sessions[info.serial] = TokenSession(self, info)
            return session

    def sessions(self) -> list[TokenSession]:
        with self._sessions_lock:
            return list(self._sessions.values())

    def start_monitor(self) -> None:
        """Start polling token presence (idempotent); sessions lock themselves when their token goes."""
        with self._sessions_lock:
            if self._monitor is None or not self._monitor.running:
                self._monitor = TokenMonitor(self, self.config.poll_interval)
                self._monitor.start()

    def stop_monitor(self) -> None:
        with self._sessions_lock:
            monitor, self._monitor = self._monitor, None
        if monitor is not None:
            monitor.stop()

    def close(self) -> None:
        """Stop polling and lock every session (logs out); the module itself stays loaded."""
        self.stop_monitor()
        for session in self.sessions():
            session.lock("closed")
