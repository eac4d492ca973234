"""The composition root: one workstation — its store, trust list, signers, exchange client and sync engine.

Every front end builds it the same way and nothing else wires these parts:

    ws = Workstation.open(data_dir, prompter)      # CLI, desktop, demo, tests
    rx = prescribing.write_prescription(ws, ...)   # use cases take the workstation
    ws.sync.run()                                  # drain the outbox now
    ws.close()

Parts are made on first use: a read-only command never loads a PKCS#11 module or asks for a PIN, and a
prescription is checked before any token is asked for anything. Secrets (facility passphrase, token PINs,
PKCS#12 passphrases) are asked through the `Prompter`, never read here.

Settings (store meta, overridden by the environment for automation):

| setting (meta key)        | environment override          | meaning                                           |
|---------------------------|-------------------------------|---------------------------------------------------|
| `exchange.url`            | `NOSKHE_EXCHANGE_URL`         | the national exchange's base URL                  |
| `signing.user_token`      | `NOSKHE_TOKEN_LABEL`          | the GP's / pharmacist's token (`*`: whoever's is in) |
| `signing.user_p12`        | —                             | or a PKCS#12 file                                 |
| `signing.facility_token`  | `NOSKHE_FACILITY_TOKEN`       | the facility seal's token                         |
| `signing.facility_p12`    | `NOSKHE_FACILITY_P12`         | or its PKCS#12 file                               |

The trust list is `NOSKHE_TRUST_LIST` (or the `trust_list_path` given) or the one cached in the store
(refreshed from the exchange). Over HTTPS the exchange's certificate is checked against the system's CAs, or
`NOSKHE_EXCHANGE_CA` (a PEM file).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.errors import ConfigError, NoskheError, shorten
from app.prompter import Prompter
from app.signing import SignatureRole, Signer

if TYPE_CHECKING:
    from app.services.checking import NationalServices
    from app.store import Store
    from smartcard.session import TokenSession
    from smartcard.status import StatusChecker
    from smartcard.trustlist import TrustList
    from sync.client import ExchangeClient, PublicExchange
    from sync.ocsp import OcspClient
    from sync.engine import SyncEngine

#: `signing.user_token` meaning "whichever person's token is inserted" (not the seal's): shared workstations
ANY_TOKEN = "*"
#: the person at the keyboard signs in this role, by workstation role
USER_ROLE = {"clinic": SignatureRole.PRESCRIBER, "pharmacy": SignatureRole.PHARMACIST}
SETTINGS = (
    "exchange.url",
    "signing.user_token",
    "signing.user_p12",
    "signing.facility_token",
    "signing.facility_p12",
    "facility_national_id",  # the provider's national id (section 7-9 note 1), signed and printed
)


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
#: a server's name: dot-separated labels of letters, digits and inner hyphens, 253 characters at most
_HOST = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?")


def check_exchange_url(url: str) -> str:
    """The exchange's base URL as it will be stored and used: `http://` or `https://`, a server name (or an
    IP address), an optional port 1–65535 and an optional path; no user name, password, query or fragment,
    no spaces or control characters. Returns it without its trailing `/`. Raises `ConfigError` (one line,
    both languages) for anything else — `' OR 1=1 --` is refused here, not found out by `sync run`."""
    from urllib.parse import urlsplit

    text = url.strip()
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        port = parts.port
        ok = (
            parts.scheme.lower() in ("http", "https")
            and not any(ch.isspace() or not ch.isprintable() for ch in text)
            and not (parts.username or parts.password or parts.query or parts.fragment or "?" in text)
            and (bool(_HOST.fullmatch(host)) or _is_ip(host))
            and port != 0
        )
    except ValueError:  # a port that is not a number or is out of range, a broken [IPv6] literal
        ok = False
    if not ok:
        shown = re.sub(r"(//[^/@]*?:)[^/@]*@", r"\1***@", text)  # never echo a password given in it
        raise ConfigError(
            f"The exchange address {shorten(shown, 80)!r} is not valid: it must be http:// or https://, a "
            "server name and an optional port (https://exchange.example:8443).",
            f"نشانی سامانهٔ تبادل «{shorten(shown, 80)}» درست نیست: باید با https://‎ یا http://‎ آغاز شود و "
            "نام سرور و در صورت نیاز درگاه را داشته باشد.",
        )
    return text.rstrip("/")


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class Workstation:
    """One clinic or pharmacy workstation, opened from its data directory.

    `store` is open for the workstation's life; `trust`, `user_signer()`, `seal()`, `client` and `sync` are
    made on first use and kept. `engine_options` go to `SyncEngine` (batch size, backoff, patience, …) and
    `client_options` to `ExchangeClient` (timeout)."""

    def __init__(
        self,
        store: Store,
        prompter: Prompter,
        *,
        trust_list_path: str | Path | None = None,
        engine_options: dict[str, Any] | None = None,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self.store = store
        self.prompter = prompter
        self._trust_list_path = str(trust_list_path) if trust_list_path else None
        self._engine_options = dict(engine_options or {})
        self._client_options = dict(client_options or {})
        self._trust: TrustList | None = None
        self._user: Signer | None = None
        self._seal: Signer | None = None
        self._client: ExchangeClient | None = None
        self._sync: SyncEngine | None = None
        self._national: NationalServices | None = None
        self._status: StatusChecker | None = None

    # ---- opening ----------------------------------------------------------------------------------

    @classmethod
    def open(cls, data_dir: str | Path, prompter: Prompter, **options: Any) -> Workstation:
        """The workstation whose store is in `data_dir`, unlocked with the facility passphrase asked from
        `prompter` (purpose `store`). Raises `StoreError` (no store, wrong passphrase, damaged)."""
        from app.store import Store

        store = Store.open(Path(data_dir), prompter.passphrase("store"))
        return cls(store, prompter, **options)

    @classmethod
    def create(
        cls,
        data_dir: str | Path,
        prompter: Prompter,
        *,
        role: str,
        facility: str,
        facility_name: str = "",
        kdf_log2_n: int | None = None,
        **options: Any,
    ) -> Workstation:
        """A new workstation in `data_dir` (role `clinic` or `pharmacy`, facility SIAM id), its store
        encrypted under a new passphrase asked from `prompter` (purpose `store-new`). Raises `StoreError`
        when a store already exists there (left untouched) or the role or SIAM id is invalid."""
        from app.store import Store

        extra: dict[str, Any] = {} if kdf_log2_n is None else {"kdf_log2_n": kdf_log2_n}
        store = Store.create(
            Path(data_dir),
            prompter.passphrase("store-new"),
            role=role,
            facility=facility,
            facility_name=facility_name,
            **extra,
        )
        return cls(store, prompter, **options)

    # ---- settings ---------------------------------------------------------------------------------

    @property
    def role(self) -> str:
        """`clinic` or `pharmacy`."""
        return self.store.role

    @property
    def facility_siam(self) -> str:
        """The facility's 8-digit SIAM id."""
        return self.store.facility_siam

    def setting(self, key: str, env: str | None = None) -> str | None:
        """A setting: `$env` when set, else the store's meta value, else None."""
        return (os.environ.get(env) if env else None) or self.store.meta(key) or None

    @property
    def user_role(self) -> SignatureRole:
        """The signature role of the person at the keyboard (prescriber or pharmacist)."""
        role = USER_ROLE.get(self.role)
        if role is None:
            raise ConfigError(f"Unknown workstation role {self.role!r}.", "نقش این رایانه شناخته نیست.")
        return role

    # ---- trust ------------------------------------------------------------------------------------

    @property
    def trust(self) -> TrustList:
        """The trust list: the given file, `$NOSKHE_TRUST_LIST`, or the store's cached copy.
        Raises `TrustListError` when there is none."""
        if self._trust is None:
            from smartcard.errors import TrustListError
            from smartcard.trustlist import TrustList

            path = self._trust_list_path or os.environ.get("NOSKHE_TRUST_LIST")
            if path:  # the published list's suspended prescribers still apply (sync.reference)
                from sync.reference import published_over

                self._trust = published_over(TrustList.from_file(path), self.store)
            else:
                found = TrustList.load(self.store)
                if found is None:
                    raise TrustListError(
                        "No trust list yet: run `noskhe sync refresh` online, or `noskhe token trust import FILE`.",
                        "فهرست مراجع مورد اعتماد نیست: ‎noskhe sync refresh‎ را اجرا کنید.",
                        missing=True,
                    )
                self._trust = found
        return self._trust

    @property
    def certificate_status(self) -> StatusChecker:
        """Where certificates' revocation is asked (appendix task 7): OCSP at `$NOSKHE_OCSP_URL` or the
        exchange's responder (its address + `/ocsp`) when online, the trust list's CRL offline or when no
        exchange is configured. Signers check their own certificate with it before signing; retrieval and
        paper verification check every signer's. The network is not tried while the sync engine last found
        the exchange unreachable."""
        if self._status is None:
            from smartcard.status import StatusChecker
            from sync.status import is_online

            from app.certificate_status import RevocationMemory

            self._status = StatusChecker(
                self._ocsp_transport(),
                online=lambda: is_online(self.store) is not False,
                memory=RevocationMemory(self.store.results),
            )
        return self._status

    def _ocsp_transport(self) -> OcspClient | None:
        """The OCSP responder's client: `$NOSKHE_OCSP_URL`, else the exchange's `/ocsp`, else None."""
        from sync.ocsp import OcspClient

        url = os.environ.get("NOSKHE_OCSP_URL")
        base = self.setting("exchange.url", "NOSKHE_EXCHANGE_URL")
        verify = os.environ.get("NOSKHE_EXCHANGE_CA") or True
        if url:
            return OcspClient(url, verify=verify)
        try:
            return OcspClient.for_exchange(check_exchange_url(base), verify=verify) if base else None
        except ConfigError:  # a bad stored address: the trust list's CRLs, as offline
            return None

    def forget_trust(self) -> None:
        """Drop the cached trust list (after a refresh or an import): the next use reloads it, and the
        signers already open check their own certificates against the new one (its CRLs) from now on."""
        self._trust = None
        for signer in (self._user, self._seal):
            if signer is not None and hasattr(signer, "trust"):
                try:
                    signer.trust = self.trust
                except NoskheError:  # no list any more: the next signature reports it
                    self._user = self._seal = None

    # ---- signers ----------------------------------------------------------------------------------

    def user_signer(self) -> Signer:
        """The signer of the person at the keyboard: prescriber at a clinic, pharmacist at a pharmacy.
        Logs in to the token (PIN from the prompter) on first use. Raises `ConfigError` when nothing is
        configured, `TokenError`/`WrongPin`/`PinLocked` from the token, `TrustListError`."""
        if self._user is not None:
            self._log_in_again(self._user, "user")
        if self._user is None:
            role = self.user_role
            p12 = self.setting("signing.user_p12")
            if p12:
                self._user = self._p12_signer(p12, "user-p12", role)
            else:
                label = self.setting("signing.user_token", "NOSKHE_TOKEN_LABEL")
                if not label:
                    raise ConfigError(
                        "No signing token is configured: `noskhe sync config --user-token LABEL`.",
                        "توکن امضا تنظیم نشده است.",
                    )
                if label == ANY_TOKEN:
                    label = self._inserted_token()
                self._user = self._token_signer(label, role, "user")
            self._note_person(self._user)
        return self._user

    def _inserted_token(self) -> str:
        """The label of the one token present that is not the facility seal's (`signing.user_token` set
        to `*`: each person of the facility logs in with their own token). Raises `TokenNotFound` when
        there is none, or several."""
        from smartcard.config import SmartcardConfig
        from smartcard.errors import TokenNotFound
        from smartcard.tokens import Pkcs11Module

        seal = self.setting("signing.facility_token", "NOSKHE_FACILITY_TOKEN")
        labels = [t.label for t in Pkcs11Module.load(SmartcardConfig.from_env()).tokens() if t.label != seal]
        if len(labels) != 1:
            raise TokenNotFound(
                "Insert your own token (one, besides the facility seal's) to log in."
                if not labels
                else f"Several personal tokens are present ({', '.join(labels)}): leave only yours.",
                "توکن شخصی خود را وصل کنید (یکی، جز توکن مهر مرکز)."
                if not labels
                else f"چند توکن شخصی وصل است ({'، '.join(labels)}): فقط توکن خود را وصل نگه دارید.",
                labels=labels,
            )
        return labels[0]

    def signing_user(self) -> Signer:
        """`user_signer()`, once the person it names may sign here (`app.services.users.require_signing`:
        their role on the facility's users list). Raises `NotPermitted`, and `user_signer()`'s errors."""
        from app.services.users import has_roster, require_signing

        signer = self.user_signer()
        if has_roster(self):  # no users list yet: nothing is refused and the certificate is not read
            require_signing(self, signer.identity())
        return signer

    def _note_person(self, signer: Signer | None) -> None:
        """The audit log names `signer`'s holder from now on (nobody for None or a locked window)."""
        from app.services.users import person_of

        identity = getattr(signer, "identity", None)
        try:
            self.store.audit.person = person_of(identity()) if identity is not None else None
        except NoskheError:  # the locked window's stand-in names nobody
            self.store.audit.person = None

    def seal(self) -> Signer:
        """The facility seal (مهر سازمانی), on a token or a PKCS#12 file; asked through the prompter."""
        if self._seal is not None:
            self._log_in_again(self._seal, "facility")
        if self._seal is None:
            p12 = self.setting("signing.facility_p12", "NOSKHE_FACILITY_P12")
            if p12:
                self._seal = self._p12_signer(p12, "facility-p12", SignatureRole.FACILITY)
            else:
                label = self.setting("signing.facility_token", "NOSKHE_FACILITY_TOKEN")
                if not label:
                    raise ConfigError(
                        "No facility seal is configured: `noskhe sync config --facility-token LABEL` or "
                        "`--facility-p12 FILE`.",
                        "مهر سازمانی مرکز تنظیم نشده است.",
                    )
                self._seal = self._token_signer(label, SignatureRole.FACILITY, "facility")
        return self._seal

    def signers(self) -> list[Signer]:
        """`[user, seal]`: what a prescription or a dispensing is signed with."""
        return [self.signing_user(), self.seal()]

    def use_signers(self, user: Signer | None = None, seal: Signer | None = None) -> None:
        """Put already-open signers in place (a token the desktop logged in at unlock)."""
        if user is not None:
            self._user = user
            self._note_person(user)
        if seal is not None:
            self._seal = seal
            self._client = None
            self._sync = None

    def forget_user(self) -> None:
        """Drop the user's signer (the desktop's lock): the next `user_signer()` logs in again, its PIN or
        passphrase asked through the prompter."""
        self._user = None
        self._note_person(None)

    def _log_in_again(self, signer: Signer, purpose: str) -> None:
        """A kept token signer whose session was locked (idle lock, token pulled out and put back, logout)
        is logged in again, its PIN asked through the prompter; a PKCS#12 signer needs nothing."""
        session = getattr(signer, "session", None)
        if session is not None and session.state.value != "ready":
            self._log_in(session, session.label, purpose)

    def _log_in(self, session: TokenSession, label: str, purpose: str) -> None:
        """Log in to a token session with the PIN asked through the prompter. Wrong PINs are counted per
        token beside the store, across processes (`smartcard.pins`); a login that would be the token's last
        try is asked for confirmation first (`prompter.confirm`) and refused without it, before any PIN is
        asked. Raises `WrongPin` (tries left), `PinLocked`, the token's errors."""
        from smartcard import pins

        pins.keep_counts_in(self.store.data_dir)
        config = getattr(getattr(session, "module", None), "config", None)
        question = pins.last_try_question(session.info, config.pin_try_limit) if config is not None else None
        if question is not None and self.prompter.confirm(question):
            pins.allow_last_try(session.serial)
        session.login(self.prompter.pin(label, pin_pad=bool(session.info.pin_pad), purpose=purpose))

    def _p12_signer(self, path: str, purpose: str, role: SignatureRole) -> Signer:
        from smartcard.p12 import P12Signer

        return P12Signer(
            path, self.prompter.passphrase(purpose), self.trust, role=role, revocation=self.certificate_status
        )

    def _token_signer(self, label: str, role: SignatureRole, purpose: str) -> Signer:
        from smartcard.config import SmartcardConfig
        from smartcard.signer import TokenSigner
        from smartcard.tokens import Pkcs11Module

        session = Pkcs11Module.load(SmartcardConfig.from_env()).session(label=label)
        if session.state.value != "ready":
            self._log_in(session, label, purpose)
        return TokenSigner(session, role, self.trust, revocation=self.certificate_status)

    # ---- the exchange -----------------------------------------------------------------------------

    @property
    def exchange_url(self) -> str:
        """The exchange's base URL; raises `ConfigError` when none is set or the one set is not a valid
        address (`check_exchange_url`; one stored before addresses were checked), saying how to set it."""
        url = self.setting("exchange.url", "NOSKHE_EXCHANGE_URL")
        if not url:
            raise ConfigError(
                "No exchange address: `noskhe sync config --exchange URL`.",
                "نشانی سامانهٔ تبادل تنظیم نشده است.",
            )
        try:
            return check_exchange_url(url)
        except ConfigError as exc:
            if os.environ.get("NOSKHE_EXCHANGE_URL"):  # the environment's address is the one used: name it
                raise ConfigError(
                    exc.en + " It comes from the environment variable NOSKHE_EXCHANGE_URL: correct or unset it.",
                    exc.fa + " این نشانی از متغیر محیطی NOSKHE_EXCHANGE_URL آمده است: آن را درست یا حذف کنید.",
                ) from None
            raise ConfigError(
                exc.en + " Set it again: `noskhe sync config --exchange URL`.",
                exc.fa + " آن را دوباره تنظیم کنید.",
            ) from None

    @property
    def client(self) -> ExchangeClient:
        """The exchange client, authenticated with the facility seal (opened first, then the address)."""
        if self._client is None:
            from sync.client import ExchangeClient

            seal = self.seal()
            self._client = ExchangeClient(
                self.exchange_url,
                seal,
                siam=self.facility_siam,
                verify=os.environ.get("NOSKHE_EXCHANGE_CA") or True,
                **self._client_options,
            )
        return self._client

    @property
    def public(self) -> PublicExchange:
        """The exchange's calls that need no login (the medical council inquiry): no seal is opened and no
        PIN asked. Raises `ConfigError` when no exchange address is set."""
        from sync.client import PublicExchange

        return PublicExchange(self.exchange_url, verify=os.environ.get("NOSKHE_EXCHANGE_CA") or True)

    @property
    def national(self) -> NationalServices:
        """The exchange's eligibility and rules services as the use cases ask them before signing (each
        raises `app.services.checking.Offline` when the exchange cannot be asked now)."""
        if self._national is None:
            from sync.checking import ExchangeChecks

            self._national = ExchangeChecks(self)
        return self._national

    @property
    def sync(self) -> SyncEngine:
        """The sync engine (outbox drain, probe, reference refresh) over this store and client."""
        if self._sync is None:
            from sync.engine import SyncEngine

            self._sync = SyncEngine(self.store, self.client, **self._engine_options)
            # a refreshed trust list (new CRLs, suspended prescribers) is the one used from then on
            self._sync.listeners.append(lambda event, _: self.forget_trust() if event == "refreshed" else None)
        return self._sync

    def forget_exchange(self) -> None:
        """Stop and drop the client and the sync engine (the exchange's address changed); the next use of
        `client` or `sync` makes them again from the settings."""
        if self._sync is not None:
            self._sync.stop()
        self._client = None
        self._sync = None
        if self._status is not None:  # the signers keep their checker: it asks the new responder from now on
            self._status.transport = self._ocsp_transport()
            self._status.forget()

    # ---- closing ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the sync schedules (if started) and close the store. Safe to call twice."""
        if self._sync is not None:
            try:
                self._sync.stop()
            except NoskheError:
                pass
            self._sync = None
        self.store.close()

    def __enter__(self) -> Workstation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["SETTINGS", "USER_ROLE", "Workstation", "check_exchange_url"]
