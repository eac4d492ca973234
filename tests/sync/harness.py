"""The pieces sync, exchange and end-to-end tests share: TEST identities, workstations, a running exchange.

Workstations are built as every front end builds them (`app.workstation.Workstation`), with a
`FixedPrompter` answering the facility passphrase and the PKCS#12 passphrases. They sign with PKCS#12
(software) signers over the TEST identities (`signing.user_p12` / `signing.facility_p12` settings): the same
CMS and certificate checks as the token signers, without loading the PKCS#11 module into the test process
(SoftHSM2 reads its configuration once per process, and other test packages load it with theirs). The token
path is covered by the subprocess tests in `tests/e2e` (writer, CLI, demo).
"""

from __future__ import annotations

import contextlib
import json
import os
import ssl
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.domain import Coverage, Patient, PatientId, Prescription
from app.prompter import FixedPrompter
from app.services.prescribing import ItemRequest, write_prescription
from app.signing import SignatureRole as R
from app.signing import Signer
from app.workstation import Workstation
from exchange import devworld, seed
from exchange.process import ExchangeProcess

if TYPE_CHECKING:
    from app.store import Store

PASSPHRASE = "test passphrase 1"
ROOT = Path(__file__).resolve().parents[2]
#: items no rule rejects (quantities below the warning threshold, no rejecting interaction)
SAFE_ITEMS = (
    ItemRequest("101002", 21, "هر ۸ ساعت یک کپسول"),
    ItemRequest("103011", 10, "در صورت درد"),
    ItemRequest("105040", 20, "صبح‌ها پس از صبحانه"),
    ItemRequest("101071", 14, "هر ۱۲ ساعت"),
)


def signer(tokens: Any, label: str) -> Any:
    from smartcard.p12 import P12Signer
    from smartcard.trustlist import TrustList

    ident = next(i for i in devworld.IDENTITIES if i.label == label)
    trust = TrustList.from_file(tokens.trust_list)
    return P12Signer(tokens.p12(label), devworld.P12_PASSPHRASES[label], trust, role=ident.role)


def signers_for(tokens: Any, ws: devworld.Workstation) -> list[Any]:
    return [signer(tokens, ws.user_token), signer(tokens, ws.facility_token)]


def prompter_for(site: devworld.Workstation) -> FixedPrompter:
    """Answers what a workstation of `site` asks: the facility passphrase, the PKCS#12 passphrases."""
    return FixedPrompter(
        passphrases={
            "store": PASSPHRASE,
            "user-p12": devworld.P12_PASSPHRASES[site.user_token],
            "facility-p12": devworld.P12_PASSPHRASES[site.facility_token],
        }
    )


def sign_with_p12(store: Store, site: devworld.Workstation, tokens: Any) -> None:
    """Set the workstation's signing settings to the site's TEST PKCS#12 files."""
    store.set_meta("signing.user_p12", str(tokens.p12(site.user_token)))
    store.set_meta("signing.facility_p12", str(tokens.p12(site.facility_token)))


def new_workstation(
    path: Path, site: devworld.Workstation, tokens: Any, url: str | None = None, **options: Any
) -> Workstation:
    """A new workstation of `site` in `path` (its store, the TEST trust list, `url` as the exchange),
    signing with the site's PKCS#12 files; `options` go to `Workstation` (engine/client options)."""
    store = new_store(path, site, tokens, url)
    sign_with_p12(store, site, tokens)
    return Workstation(store, prompter_for(site), **options)


def open_workstation(path: Path | str, site: devworld.Workstation, **options: Any) -> Workstation:
    """The workstation of `site` already in `path`, opened as the CLI and the desktop open it."""
    return Workstation.open(path, prompter_for(site), **options)


def workstation_over(store: Store, user: Signer | None = None, seal: Signer | None = None) -> Workstation:
    """A workstation over an open `store` signing with the given signers (a suspended GP's, a token pulled
    out): what a test needs that the settings cannot say. Closing it closes the store."""
    ws = Workstation(store, FixedPrompter(passphrases={"store": PASSPHRASE}))
    ws.use_signers(user, seal)
    return ws


def new_store(path: Path, ws: devworld.Workstation, tokens: Any, url: str | None = None) -> Any:
    from app.store import Store
    from smartcard.trustlist import TrustList

    store = Store.create(
        path, PASSPHRASE, role=ws.role, facility=ws.siam, facility_name=ws.name, kdf_log2_n=10
    )
    TrustList.from_file(tokens.trust_list).save(store)
    if url:
        store.set_meta("exchange.url", url)
    return store


def patients(n: int) -> list[Patient]:
    """Insured and uninsured national-code holders from the exchange's seeded database, cycling."""
    people = [p for p in seed.persons() if p["kind"] == "national-code"]
    out = []
    for i in range(n):
        p = people[i % len(people)]
        plan = p["coverages"][0] if p["coverages"] else None
        cov = Coverage(plan.split("-")[0], scheme=plan if "-" in plan else "") if plan else None
        out.append(
            Patient(PatientId("national-code", p["value"]), p["first_name"], p["last_name"], coverage=cov)
        )
    return out


def write_many(ws: Workstation, n: int, *, items_per_rx: int = 2) -> list[Prescription]:
    """`n` prescriptions by the TEST GP for seeded patients, signed with the workstation's signers."""
    out = []
    for i, patient in enumerate(patients(n)):
        items = [SAFE_ITEMS[(i + k) % len(SAFE_ITEMS)] for k in range(items_per_rx)]
        out.append(write_prescription(ws, patient=patient, prescriber=devworld.GP, items=items))
    return out


@contextlib.contextmanager
def exchange_down(exchange: RunningExchange) -> Iterator[None]:
    """The exchange unreachable inside the block (every call but /admin dropped unanswered): what is
    written then is written offline — eligibility pending and queued, the local rules, an estimate."""
    exchange.faults(outage=True)
    try:
        yield
    finally:
        exchange.faults(outage=False)


def client_for(store: Any, url: str, seal: Any, **kw: Any) -> Any:
    from sync.client import ExchangeClient

    return ExchangeClient(url, seal, siam=store.facility_siam, **kw)


class RunningExchange:
    url: str
    data: Path

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        token = (self.data / "admin.token").read_text()
        req = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"X-Admin-Token": token, "Content-Type": "application/json"},
        )
        ctx = ssl._create_unverified_context() if self.url.startswith("https") else None  # test servers only
        with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
            return json.loads(r.read())

    def faults(self, **changes: Any) -> Any:
        return self.admin("PUT", "/admin/faults", changes)

    def stats(self) -> dict[str, Any]:
        return self.admin("GET", "/admin/stats")

    def ttac_codes(self, drug: str, n: int) -> list[str]:
        return self.admin("GET", f"/admin/ttac-sample?drug={drug}&n={n}")["codes"]

    def revoke(self, cert: Any, reason: str = "key_compromise") -> dict[str, Any]:
        """Revoke `cert` (a `cryptography` certificate) at the exchange's OCSP responder only: no CRL
        knows it."""
        from cryptography.hazmat.primitives.serialization import Encoding

        pem = cert.public_bytes(Encoding.PEM).decode("ascii")
        return self.admin("POST", "/admin/revoke", {"certificate": pem, "reason": reason})


class ThreadExchange(RunningExchange):
    """The exchange in a thread of the test process: fast to start, for API tests."""

    def __init__(self, data: Path, trust_list: Path) -> None:
        from exchange.http import ExchangeServer
        from smartcard.trustlist import TrustList

        self.data = data
        data.mkdir(parents=True, exist_ok=True)
        from exchange.ocsp import dev_ca_key

        self.server = ExchangeServer(("127.0.0.1", 0), data, ocsp_key=dev_ca_key(trust_list))
        seed.seed(self.server.db, TrustList.from_file(trust_list).to_json())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class ProcessExchange(ExchangeProcess, RunningExchange):
    """`noskhe exchange serve` in its own process, on a fixed or free loopback port."""


def cli_env(tokens: Any, **extra: str) -> dict[str, str]:
    """Environment for `python -m app …` subprocesses of a workstation: passphrase, tokens, PINs."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NOSKHE_PASSPHRASE": PASSPHRASE, **tokens.env(), **extra}
    return env


__all__ = [
    "PASSPHRASE",
    "ProcessExchange",
    "R",
    "ThreadExchange",
    "cli_env",
    "exchange_down",
    "new_store",
    "new_workstation",
    "open_workstation",
    "patients",
    "prompter_for",
    "sign_with_p12",
    "signer",
    "signers_for",
    "workstation_over",
    "write_many",
]


def three_sites(root: Path, tokens: Any, url: str) -> dict[str, Workstation]:
    """The clinic and the two pharmacies of the TEST world, each a workstation over `url` with a quick
    backoff, keyed `clinic`, `noskhe-pharmacy` and `noskhe-pharmacy-2` (for end-to-end tests)."""
    from sync.drain import Backoff

    return {
        spec.role if spec.role == "clinic" else spec.facility_token: new_workstation(
            root / spec.user_token,
            spec,
            tokens,
            url,
            engine_options={"backoff": Backoff(0.01, 0.05), "patience": 1.0},
        )
        for spec in (devworld.CLINIC, devworld.PHARMACY, devworld.PHARMACY_2)
    }


def noskhe(env: dict[str, str], *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`noskhe ARGV…` in a child process with `env`, from the project's directory."""
    return subprocess.run(
        [sys.executable, "-m", "app", *argv],
        check=False,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
