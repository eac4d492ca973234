"""Which signers and which exchange a workstation uses, from its settings (store meta) and the environment.

| setting (meta key)        | environment override          | meaning                                           |
|---------------------------|-------------------------------|---------------------------------------------------|
| `exchange.url`            | `NOSKHE_EXCHANGE_URL`         | the national exchange's base URL                  |
| `signing.user_token`      | `NOSKHE_TOKEN_LABEL`          | the GP's / pharmacist's token (PIN: `NOSKHE_PIN`)  |
| `signing.user_p12`        | —                             | or a PKCS#12 file (passphrase `NOSKHE_USER_P12_PASSPHRASE`) |
| `signing.facility_token`  | `NOSKHE_FACILITY_TOKEN`       | the facility seal's token (PIN `NOSKHE_FACILITY_PIN`) |
| `signing.facility_p12`    | `NOSKHE_FACILITY_P12`         | or its PKCS#12 file, opened with `NOSKHE_FACILITY_P12_PASSPHRASE`, else the facility passphrase |

The trust list is `NOSKHE_TRUST_LIST` or the one cached in the store (refreshed from the exchange). Over
HTTPS the exchange's certificate is checked against the system's CAs, or `NOSKHE_EXCHANGE_CA` (a PEM file).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from app.errors import ConfigError
from app.signing import SignatureRole, Signer
from sync.client import ExchangeClient

USER_ROLE = {"clinic": SignatureRole.PRESCRIBER, "pharmacy": SignatureRole.PHARMACIST}
SETTINGS = (
    "exchange.url",
    "signing.user_token",
    "signing.user_p12",
    "signing.facility_token",
    "signing.facility_p12",
)


def setting(store: Any, key: str, env: str | None = None) -> str | None:
    return (os.environ.get(env) if env else None) or store.meta(key) or None


def trust_list(store: Any) -> Any:
    from smartcard.errors import TrustListError
    from smartcard.trustlist import TrustList

    path = os.environ.get("NOSKHE_TRUST_LIST")
    if path:
        return TrustList.from_file(path)
    found = TrustList.load(store)
    if found is None:
        raise TrustListError(
            "No trust list yet: run `noskhe sync refresh` online, or `noskhe token trust import FILE`.",
            "فهرست مراجع مورد اعتماد نیست: ‎noskhe sync refresh‎ را اجرا کنید.",
        )
    return found


def _token_signer(label: str, pin: Callable[[Any], str | None], role: SignatureRole, trust: Any) -> Signer:
    from smartcard.config import SmartcardConfig
    from smartcard.signer import TokenSigner
    from smartcard.tokens import Pkcs11Module

    session = Pkcs11Module.load(SmartcardConfig.from_env()).session(label=label)
    if session.state.value != "ready":
        session.login(pin(session))
    return TokenSigner(session, role, trust)


def _env_pin(name: str) -> Callable[[Any], str | None]:
    return lambda session: os.environ.get(name)


def user_signer(store: Any, trust: Any, *, pin: Callable[[Any], str | None] | None = None) -> Signer:
    """The signer of the person at the keyboard: prescriber at a clinic, pharmacist at a pharmacy.
    `pin(session)` gives the token PIN (None: the reader's PIN pad); default `$NOSKHE_PIN`."""
    from smartcard.p12 import P12Signer

    role = USER_ROLE.get(store.role)
    if role is None:
        raise ConfigError(f"Unknown workstation role {store.role!r}.", "نقش این رایانه شناخته نیست.")
    p12 = setting(store, "signing.user_p12")
    if p12:
        return P12Signer(p12, os.environ.get("NOSKHE_USER_P12_PASSPHRASE", ""), trust, role=role)
    label = setting(store, "signing.user_token", "NOSKHE_TOKEN_LABEL")
    if not label:
        raise ConfigError(
            "No signing token is configured: `noskhe sync config --user-token LABEL`.",
            "توکن امضا تنظیم نشده است.",
        )
    return _token_signer(label, pin or _env_pin("NOSKHE_PIN"), role, trust)


def facility_signer(store: Any, trust: Any, passphrase: Callable[[], str]) -> Signer:
    """The facility seal (مهر سازمانی): a token or a PKCS#12 file."""
    from smartcard.p12 import P12Signer

    p12 = setting(store, "signing.facility_p12", "NOSKHE_FACILITY_P12")
    if p12:
        secret = os.environ.get("NOSKHE_FACILITY_P12_PASSPHRASE")
        return P12Signer(
            p12, secret if secret is not None else passphrase(), trust, role=SignatureRole.FACILITY
        )
    label = setting(store, "signing.facility_token", "NOSKHE_FACILITY_TOKEN")
    if not label:
        raise ConfigError(
            "No facility seal is configured: `noskhe sync config --facility-token LABEL` or "
            "`--facility-p12 FILE`.",
            "مهر سازمانی مرکز تنظیم نشده است.",
        )
    return _token_signer(label, _env_pin("NOSKHE_FACILITY_PIN"), SignatureRole.FACILITY, trust)


def exchange_client(store: Any, seal: Signer) -> ExchangeClient:
    url = setting(store, "exchange.url", "NOSKHE_EXCHANGE_URL")
    if not url:
        raise ConfigError(
            "No exchange address: `noskhe sync config --exchange URL`.", "نشانی سامانهٔ تبادل تنظیم نشده است."
        )
    return ExchangeClient(
        url, seal, siam=store.facility_siam, verify=os.environ.get("NOSKHE_EXCHANGE_CA") or True
    )
