"""The exchange client: HTTP with `requests`, timeouts on every call, facility login, typed failures.

`call()` answers every HTTP status as a `Reply` (the outbox decides what a 409 means); it raises only
`Unreachable` when no answer came at all (refused connection, timeout, connection dropped mid-answer —
which may mean the exchange did the work: retry with the same idempotency key). The convenience methods
for interactive use (`search`, `claim`, `ttac`…) raise `ExchangeRefused` or `ExchangeUnavailable`, both
`NoskheError`s with a Persian and an English message.

Login (see `exchange.auth`): canonical JSON {siam, nonce, issuedAt} signed by the facility signer, sent to
POST /auth/token; the bearer token is kept until it expires or a call answers 401.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests

from app.canonical import canonical_bytes
from app.errors import NoskheError
from app.signing import Signer
from sync.fhir.common import read_outcome

if TYPE_CHECKING:
    from app.services.council import CouncilAnswer
    from app.services.sepas import SepasRecord

CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 30.0


class ExchangeUnavailable(NoskheError):
    """No usable answer: unreachable, timed out, or a server error. Work stays queued."""

    code = "offline"


class Unreachable(ExchangeUnavailable):
    pass


class ExchangeRefused(NoskheError):
    """The exchange answered and said no; `status` and `details` (who, when…) say why."""

    code = "refused"

    def __init__(self, status: int, code: str, en: str, fa: str, details: dict[str, Any]) -> None:
        super().__init__(en, fa, **details)
        self.status = status
        self.code = code  # type: ignore[misc]


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def ok(self) -> bool:
        """True for a 2xx answer."""
        return 200 <= self.status < 300

    def refusal(self) -> ExchangeRefused:
        """This answer as an `ExchangeRefused` (not raised): the code and Persian/English messages of its
        OperationOutcome, or `http-<status>` when the body carries none."""
        o = read_outcome(self.body)
        if o is None:
            return ExchangeRefused(
                self.status,
                f"http-{self.status}",
                f"The exchange answered {self.status}.",
                f"سامانهٔ تبادل پاسخ {self.status} داد.",
                {},
            )
        return ExchangeRefused(self.status, o.code, o.en, o.fa, o.details)


def unreachable(url: str, exc: Exception) -> Unreachable:
    """The `Unreachable` error (not raised) for the exchange at `url` that did not answer, `exc` saying
    how."""
    return Unreachable(
        f"The exchange at {url} did not answer ({type(exc).__name__}); the work stays queued.",
        "سامانهٔ تبادل پاسخ نداد؛ کارها در صف می‌مانند.",
    )


class ExchangeClient:
    def __init__(
        self,
        base_url: str,
        facility_signer: Signer,
        *,
        siam: str,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
        verify: bool | str = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.signer, self.siam, self.timeout, self.verify = facility_signer, siam, timeout, verify
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()
        self._local = threading.local()

    def _session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = self._local.session = requests.Session()
            s.headers["Accept"] = "application/fhir+json"
        return s

    def _send(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> Reply:
        url = self.base_url + path
        try:
            r = self._session().request(
                method,
                url,
                json=body,
                data=data,
                headers=headers,
                params=params,
                timeout=timeout or self.timeout,
                verify=self.verify,
            )
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            self._session().close()
            raise unreachable(self.base_url, exc) from None
        try:
            parsed = r.json() if r.content else None
        except ValueError:
            parsed = None
        return Reply(r.status_code, parsed, dict(r.headers))

    def login(self) -> str:
        """Log this facility in (9-1-1 / 9-2-1: the facility seal signs {siam, nonce, issuedAt UTC}); returns
        the bearer token, kept until `expires_in` seconds less 30. Raises `ExchangeUnavailable` (no answer,
        5xx), `ExchangeRefused` (unknown facility, bad certificate) and the seal's smartcard errors."""
        claim = canonical_bytes(
            {
                "siam": self.siam,
                "nonce": secrets.token_hex(16),
                "issuedAt": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            }
        )
        sig = self.signer.sign(claim)
        reply = self._send(
            "POST",
            "/auth/token",
            data=claim,
            headers={
                "Content-Type": "application/json",
                "X-Noskhe-Signature": base64.b64encode(sig.cms).decode(),
            },
        )
        if reply.status >= 500:
            raise ExchangeUnavailable(
                f"The exchange could not log us in ({reply.status}); will retry.",
                "ورود به سامانهٔ تبادل ممکن نشد؛ دوباره تلاش می‌شود.",
            )
        if not reply.ok:
            raise reply.refusal()
        token = reply.body["access_token"]
        self._token = (token, time.time() + int(reply.body.get("expires_in", 300)) - 30)
        return token

    def _bearer(self, renew: bool = False) -> str:
        with self._lock:
            if renew or self._token is None or self._token[1] < time.time():
                return self.login()
            return self._token[0]

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> Reply:
        """An authenticated call; one transparent re-login if the token was refused. Raises `Unreachable`
        (no answer) or `ExchangeRefused` (the login itself was refused: unknown facility, bad certificate)."""
        h = dict(headers or {})
        for attempt in (0, 1):
            h["Authorization"] = "Bearer " + self._bearer(renew=attempt == 1)
            reply = self._send(method, path, body=body, headers=h, params=params, timeout=timeout)
            if reply.status != 401:
                return reply
        return reply

    def _json(self, method: str, path: str, **kw: Any) -> Any:
        reply = self.call(method, path, **kw)
        if reply.status >= 500:
            raise ExchangeUnavailable(
                f"The exchange had an error ({reply.status}); try again shortly.",
                "سامانهٔ تبادل خطا داد؛ کمی بعد دوباره تلاش کنید.",
            )
        if not reply.ok:
            raise reply.refusal()
        return reply.body

    # ---- interactive calls ----------------------------------------------------------------------------

    def probe(self, timeout: float = 2.0) -> bool:
        """True when the exchange answers its (unauthenticated) metadata call in time."""
        try:
            return self._send("GET", "/metadata", timeout=(timeout, timeout)).status == 200
        except Unreachable:
            return False

    def search(self, field: str, value: str) -> dict[str, Any]:
        """A FHIR searchset Bundle of the open prescriptions whose `field` (`national-code`, `fida`,
        `unique-id`, `newborn`, `hid` or `tracking`) is `value` (9-2-3 retrieve by a unique key). Raises
        `ExchangeUnavailable` (no answer, 5xx) or `ExchangeRefused`."""
        return self._json("GET", "/prescriptions", params={field: value})

    def status(self, ref: str) -> dict[str, Any]:
        """The exchange's status of one prescription (`ref`: id or tracking code): {id, trackingCode, hid,
        version, state, dispensedLines, dispensings, conflicts…}. Raises `ExchangeUnavailable` or
        `ExchangeRefused` (e.g. 404 not-found)."""
        return self._json("GET", f"/prescriptions/{ref}")

    def statuses(self, ids: list[str]) -> list[dict[str, Any]]:
        """Exchange-side status (state, dispensed lines, who dispensed, conflicts; as `status`) of up to 500
        prescription ids; unknown ids are left out. Raises `ExchangeUnavailable` or `ExchangeRefused`."""
        return self._json("POST", "/prescriptions/$status", body={"ids": ids})["statuses"]

    def claim(self, ref: str) -> dict[str, Any]:
        """Claim prescription `ref` for dispensing here (9-2-6, one pharmacy at a time): {prescription, claim
        (the secret), claimedAt (UTC), expiresIn (seconds), status}. Raises `ExchangeRefused` (409: dispensed,
        cancelled or claimed by another pharmacy) or `ExchangeUnavailable`."""
        return self._json("POST", f"/prescriptions/{ref}/$claim")

    def release(self, ref: str, secret: str | None) -> dict[str, Any]:
        """Give back this pharmacy's claim on `ref` (`secret` from `claim`, or None): {prescription,
        released: bool}. Raises `ExchangeRefused` (403 not-your-claim) or `ExchangeUnavailable`."""
        return self._json(
            "POST", f"/prescriptions/{ref}/$release", headers={"X-Claim": secret} if secret else None
        )

    def ttac(self, code: str) -> dict[str, Any]:
        """TTAC's answer on a pack's 16-digit authenticity code (9-2-7): {"status": genuine | dispensed |
        expired | unknown, "code", "batch", "drug", "gtin", "dispensedBy", "dispensedAt" (UTC)}. Raises
        `ExchangeRefused` or `ExchangeUnavailable` (no answer, 5xx)."""
        import json

        reply = self.call("GET", f"/ttac/{code}")
        if reply.status == 404:
            return {"status": "unknown", "code": code}
        if not reply.ok:
            raise (
                reply.refusal()
                if reply.status < 500
                else ExchangeUnavailable(
                    "TTAC check failed; try again.", "استعلام اصالت ناموفق بود؛ دوباره تلاش کنید."
                )
            )
        ext = next(e for e in reply.body["extension"] if e["url"].endswith(":ttac"))
        return {"code": code, "batch": reply.body.get("batch", {}), **json.loads(ext["valueString"])}

    def reference(self, kind: str, have: str | None = None) -> dict[str, Any] | None:
        """The current reference data of `kind` (MOXA codes, tariffs…, section 8) as {version, data}, or None
        when `have` is already the current version. Raises `ExchangeUnavailable` or `ExchangeRefused`."""
        reply = self.call(
            "GET", f"/reference/{kind}", headers={"If-None-Match": f'"{have}"'} if have else None
        )
        if reply.status == 304:
            return None
        if not reply.ok:
            raise (
                reply.refusal()
                if reply.status < 500
                else ExchangeUnavailable("Reference data could not be fetched.", "دادهٔ مرجع دریافت نشد.")
            )
        return reply.body

    def statement(self, start: str | None = None, end: str | None = None) -> dict[str, Any]:
        """This facility's financial statement (9-1-8 / 9-2-9) for the days `start`..`end` (ISO dates, both
        included; default this month): {facility, kind, from, to, lines: [{at, insurer, patient (rials)…}],
        totals}. Raises `ExchangeUnavailable` or `ExchangeRefused`."""
        params = {k: v for k, v in (("from", start), ("to", end)) if v}
        return self._json("GET", "/statement", params=params)

    def rules_check(self, bundle: dict[str, Any]) -> dict[str, Any]:
        """The insurance and clinical rules on a prescription Bundle before it is registered (9-1-4; nothing
        is kept): `RulesResult.to_dict`'s {findings, costs per line and total (rials), rejected,
        ruleSet}. Raises `ExchangeUnavailable` or `ExchangeRefused` (e.g. a malformed bundle)."""
        return self._json("POST", "/rules/$check", body=bundle)

    def sepas(self, patient_kind: str, patient_value: str) -> list[SepasRecord]:
        """What SEPAS holds for the patient (`national-code`, `fida`, `unique-id` or `newborn` = value) from
        this facility (section 8-5), oldest first. Raises `ExchangeUnavailable`, `ExchangeRefused`, and
        `FhirError` for an answer that is not SEPAS records."""
        from sync.fhir.sepas import read_sepas_bundle

        return read_sepas_bundle(self._json("GET", "/sepas", params={patient_kind: patient_value}))

    def council(self, number: str) -> CouncilAnswer:
        """`PublicExchange.council` at this exchange (the inquiry needs no login)."""
        return PublicExchange(self.base_url, verify=self.verify).council(number)


class PublicExchange:
    """The exchange's calls that need no facility login, so no seal and no token PIN: the medical
    council's member search (public, as the council's own site is). Same timeouts and TLS checks."""

    def __init__(
        self, base_url: str, *, timeout: tuple[float, float] = (2.0, 10.0), verify: bool | str = True
    ) -> None:
        self.base_url, self.timeout, self.verify = base_url.rstrip("/"), timeout, verify

    def siam(self, siam: str) -> dict[str, Any] | None:
        """The SIAM registry's entry for facility `siam` (section 8-9): `{"siam", "name", "kind", "active"}`,
        or None when the registry holds no such facility. Raises `ExchangeUnavailable` (no answer, a server
        error) and `ExchangeRefused`."""
        import urllib.parse

        url = f"{self.base_url}/siam/{urllib.parse.quote(siam, safe='')}"
        try:
            r = requests.get(url, headers={"Accept": "application/fhir+json"}, timeout=self.timeout, verify=self.verify)
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            raise unreachable(self.base_url, exc) from None
        try:
            body = r.json() if r.content else None
        except ValueError:
            body = None
        if r.status_code == 404:
            return None
        reply = Reply(r.status_code, body, dict(r.headers))
        if reply.status >= 500:
            raise ExchangeUnavailable("The SIAM registry did not answer.", "سامانهٔ سیام پاسخ نداد.")
        if not reply.ok or not isinstance(body, dict):
            raise reply.refusal()
        return {
            "siam": siam,
            "name": str(body.get("name", "")),
            "kind": str(((body.get("type") or [{}])[0]).get("text", "")),
            "active": bool(body.get("active", True)),
        }

    def council(self, number: str) -> CouncilAnswer:
        """The medical council's answer about member `number` (section 8-12): licence status, name,
        specialty, since when; status `not-found` when no member has that number. Raises
        `ExchangeUnavailable` (no answer, or a server error), `ExchangeRefused`, and `FhirError` for an
        answer that is not one."""
        import urllib.parse

        from app.services.council import CouncilAnswer
        from sync.fhir.council import read_council

        url = f"{self.base_url}/council/{urllib.parse.quote(number, safe='')}"
        try:
            r = requests.get(
                url, headers={"Accept": "application/fhir+json"}, timeout=self.timeout, verify=self.verify
            )
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            raise unreachable(self.base_url, exc) from None
        try:
            body = r.json() if r.content else None
        except ValueError:
            body = None
        reply = Reply(r.status_code, body, dict(r.headers))
        refused = read_outcome(body) if r.status_code == 404 else None
        if refused is not None and refused.code == "not-found":  # the council's answer: no such member
            now = dt.datetime.now(dt.UTC).isoformat()
            return CouncilAnswer(number=number, status="not-found", checked_at=now)
        if reply.status >= 500:
            raise ExchangeUnavailable(
                "The medical council inquiry failed; try again shortly.",
                "استعلام نظام پزشکی ناموفق بود؛ کمی بعد دوباره تلاش کنید.",
            )
        if not reply.ok:
            raise reply.refusal()
        return read_council(body if isinstance(body, dict) else {})
