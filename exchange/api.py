"""The exchange's HTTP API, as a function from a request to an answer (the server in `exchange.http` adds
sockets and faults).

| method + path                              | body / answer                                          | key |
|--------------------------------------------|--------------------------------------------------------|-----|
| GET  /metadata                             | CapabilityStatement (no authentication: the probe)     |     |
| POST /auth/token                           | signed login → bearer token (`exchange.auth`)          |     |
| POST /eligibility                          | CoverageEligibilityRequest → …Response (HID)           | yes |
| POST /rules/$check                         | prescription Bundle → findings and cost, nothing kept  |     |
| POST /dispensings/$check                   | dispensing Bundle → findings, cost, rule ids; not kept |     |
| POST /prescriptions                        | prescription Bundle → Task (tracking code, rule ids)   | yes |
| PUT  /prescriptions/{id}                   | new signed version → Task; 409 once dispensed          | yes |
| POST /prescriptions/{id}/$cancel           | signed cancellation → Task; 409 once dispensed         | yes |
| GET  /prescriptions?{national-code|fida|unique-id|newborn|armed-forces-newborn|hid|tracking}=X | searchset Bundle (open ones) |     |
| GET  /prescriptions/{id or tracking code}  | status: state, dispensed lines, who and when, conflicts|     |
| POST /prescriptions/$status                | {"ids": […]} → the status of each (at most 500)       |     |
| POST /prescriptions/{ref}/$claim|$release  | claim secret (409 with who/when) / release (pharmacies)|     |
| POST /dispensings                          | dispensing Bundle (+ X-Claim) → Task (receipt); 409    | yes |
| GET  /ttac/{code}                          | Medication with status genuine/dispensed/expired; 404  |     |
| GET  /reference/{kind}, GET /statement     | see `exchange.reference`                               |     |
| GET  /sepas?{national-code|fida|unique-id|newborn}=X | SEPAS records of that patient from the caller (`exchange.sepas`) | |
| GET  /sepas/records/{seq}                  | the document SEPAS keeps for one record                |     |
| GET  /council/{number}                     | medical council inquiry → Practitioner (`exchange.council`); 404; no login |  |
| GET  /siam/{id}                            | SIAM facility registry → Organization (name, kind, active); 404; no login |  |
| POST /visits                               | visit Bundle → Task (tracking code, split) (`exchange.visits`) | yes |
| POST /outcomes                             | outcome Bundle (DiagnosticReport) → Task (`exchange.outcomes`) | yes |
| GET  /prescriptions/{ref}/outcomes         | searchset Bundle of the outcomes registered            |     |
| POST /batch                                | Bundle(batch) of keyed calls above → batch-response    | per entry |

Retrieval is scoped by the caller's kind of facility: a pharmacy finds and reads any open prescription (it
retrieves to dispense); any other facility (a clinic) finds and reads only the prescriptions it issued — a
search returns its own only, the status of another's is 403 `not-yours`, `$status` leaves others' out as
unknown. Claims, releases and dispensings are for pharmacies only (403 `wrong-role`). A body nested too deep
for the parser is 400 `too-deep`.

The key is the `Idempotency-Key` header (`exchange.idempotency`). Replays answer 200 with the stored body
and the header `Idempotent-Replayed: true`.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from exchange import reference
from exchange.auth import Authenticator
from exchange.db import ExchangeDB
from exchange.dispensing import Dispensary
from exchange.eligibility import eligibility
from exchange.errors import ExchangeError, malformed
from exchange.lookup import Lookup
from exchange.prescriptions import Registry, parse
from exchange.rules import check_prescription
from exchange.sepas import Sepas
from sync import fhir

MAX_BATCH = 100
#: the keys prescriptions are searched by (9-2-3): a patient id of each kind, the visit's HID, the tracking code
SEARCH_KEYS = ("national-code", "fida", "unique-id", "newborn", "armed-forces-newborn", "hid", "tracking")
log = logging.getLogger(__name__)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            raise malformed("the body is not JSON") from None


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def _status_line(status: int) -> str:
    return f"{status} {HTTPStatus(status).phrase}"


class ExchangeApi:
    def __init__(
        self, db: ExchangeDB, auth: Authenticator, registry: Registry, lookup: Lookup, dispensary: Dispensary
    ) -> None:
        self.db, self.auth, self.registry, self.lookup, self.dispensary = (
            db,
            auth,
            registry,
            lookup,
            dispensary,
        )
        self.sepas = Sepas(db)
        from exchange.outcomes import Outcomes
        from exchange.visits import Visits

        self.visits, self.outcomes = Visits(db, registry.verifier), Outcomes(db, registry.verifier)

    def handle(self, req: Request) -> Answer:
        try:
            answer = self._route(req)
            if req.method in ("POST", "PUT") and answer.status < 300:
                self.sepas.forward()  # SEPAS receives what was just registered, in its own transaction
            return answer
        except ExchangeError as exc:
            return Answer(exc.status, exc.body())
        except RecursionError:
            return Answer(
                400,
                ExchangeError(
                    400, "too-deep", "The body is nested too deeply.", "بدنهٔ درخواست بیش از حد تودرتو است."
                ).body(),
            )
        except Exception as exc:
            log.exception("internal error on %s %s", req.method, req.path)
            return Answer(
                500,
                ExchangeError(
                    500, "internal", f"Internal error: {type(exc).__name__}.", "خطای داخلی سامانه."
                ).body(),
            )

    def _route(self, req: Request) -> Answer:
        m, p = req.method, req.path.rstrip("/") or "/"
        if m == "GET" and p == "/metadata":
            return Answer(
                200,
                {
                    "resourceType": "CapabilityStatement",
                    "status": "active",
                    "kind": "instance",
                    "date": "2026-01-01",
                    "fhirVersion": "4.3.0",
                    "format": ["json"],
                    "software": {"name": "Noskhe reference exchange"},
                },
            )
        if m == "POST" and p == "/auth/token":
            return Answer(200, self.auth.login(req.body, req.headers.get("x-noskhe-signature")))
        if (mt := re.fullmatch(r"/council/([^/]+)", p)) and m == "GET":  # public, as the council's search is
            from exchange.council import inquire

            return Answer(200, inquire(self.db, urllib.parse.unquote(mt.group(1))))
        if (mt := re.fullmatch(r"/siam/([^/]+)", p)) and m == "GET":  # public, as the registry's search is
            from exchange.visits import siam_lookup

            return Answer(200, siam_lookup(self.db, urllib.parse.unquote(mt.group(1))))
        facility = self.auth.facility(req.headers.get("authorization"))
        if m == "POST" and p == "/batch":
            return self._batch(facility, req.json())
        keyed = self._keyed(
            m,
            p,
            facility,
            req.json() if m in ("POST", "PUT") else None,
            req.headers.get("idempotency-key"),
            req.headers.get("x-claim"),
        )
        if keyed is not None:
            return keyed
        if m == "GET" and p == "/prescriptions":
            fields = [(k, v) for k, v in req.query.items() if k in SEARCH_KEYS]
            if len(fields) != 1:
                raise malformed(f"search by exactly one of {', '.join(SEARCH_KEYS)}")
            return Answer(
                200, self.lookup.search(facility, *fields[0], own_only=not self._pharmacy(facility))
            )
        if m == "POST" and p == "/prescriptions/$status":
            ids = (req.json() or {}).get("ids") or []
            if not isinstance(ids, list) or len(ids) > 500:
                raise malformed("ids: a list of at most 500 prescription ids")
            issuer = None if self._pharmacy(facility) else facility
            return Answer(200, {"statuses": self.lookup.statuses([str(i) for i in ids], issuer=issuer)})
        if m == "POST" and p == "/rules/$check":
            # under the HID's plans when it has one, else the coverage it states; nothing is kept
            rx, _ = parse(req.json(), fhir.bundle_to_prescription)
            return Answer(200, check_prescription(self.db, rx).to_dict())
        if m == "POST" and p == "/dispensings/$check":
            return Answer(200, self.dispensary.check(facility, req.json()))
        if mt := re.fullmatch(r"/prescriptions/([^/]+)/\$(claim|release)", p):
            if m != "POST":
                raise ExchangeError(405, "method", "Use POST.", "از POST استفاده کنید.")
            self._pharmacy_only(facility)
            if mt.group(2) == "claim":
                return Answer(200, self.dispensary.claim(facility, mt.group(1)))
            return Answer(200, self.dispensary.release(facility, mt.group(1), req.headers.get("x-claim")))
        if (mt := re.fullmatch(r"/prescriptions/([^/$]+)/outcomes", p)) and m == "GET":
            rx_id = self.lookup.resolve(mt.group(1))
            if not self._pharmacy(facility):
                self.lookup.own(facility, rx_id)
            return Answer(200, self.outcomes.of(rx_id))
        if (mt := re.fullmatch(r"/prescriptions/([^/$]+)", p)) and m == "GET":
            rx_id = self.lookup.resolve(mt.group(1))
            if not self._pharmacy(facility):
                self.lookup.own(facility, rx_id)
            return Answer(200, self.lookup.status(rx_id))
        if (mt := re.fullmatch(r"/ttac/([0-9]{16})", p)) and m == "GET":
            return Answer(200, self.dispensary.ttac(mt.group(1)))
        if (mt := re.fullmatch(r"/reference/([a-z]+)", p)) and m == "GET":
            version, body = reference.reference(self.db, mt.group(1))
            if req.headers.get("if-none-match", "").strip('"') == version:
                return Answer(304, None, {"ETag": f'"{version}"'})
            return Answer(200, body, {"ETag": f'"{version}"'})
        if m == "GET" and p == "/sepas":
            return Answer(200, self.sepas.search(facility, req.query))
        if (mt := re.fullmatch(r"/sepas/records/([0-9]+)", p)) and m == "GET":
            return Answer(200, self.sepas.document(facility, int(mt.group(1))))
        if m == "GET" and p == "/statement":
            return Answer(
                200, reference.statement(self.db, facility, req.query.get("from"), req.query.get("to"))
            )
        raise ExchangeError(404, "no-route", f"No such call: {m} {p}.", f"چنین درخواستی وجود ندارد: {m} {p}.")

    def _pharmacy(self, facility: str) -> bool:
        """True when `facility` is a pharmacy (it may retrieve any open prescription, claim and dispense)."""
        row = self.db.one("SELECT kind FROM facilities WHERE siam = ?", (facility,))
        return row is not None and row[0] == "pharmacy"

    def _pharmacy_only(self, facility: str) -> None:
        if not self._pharmacy(facility):
            raise ExchangeError(
                403,
                "wrong-role",
                "Only a pharmacy may claim or dispense a prescription.",
                "فقط داروخانه می‌تواند نسخه را برای پیچیدن بردارد یا بپیچد.",
            )

    def _keyed(
        self, m: str, p: str, facility: str, body: Any, key: str | None, claim: str | None
    ) -> Answer | None:
        """The calls that change state (and so need an idempotency key); None when `p` is none of them."""
        if m == "POST" and p == "/eligibility":
            (status, out), replay = eligibility(self.db, facility, body, key)
        elif m == "POST" and p == "/prescriptions":
            (status, out), replay = self.registry.register(facility, body, key)
        elif (mt := re.fullmatch(r"/prescriptions/([^/$]+)", p)) and m == "PUT":
            (status, out), replay = self.registry.edit(facility, mt.group(1), body, key)
        elif (mt := re.fullmatch(r"/prescriptions/([^/]+)/\$cancel", p)) and m == "POST":
            (status, out), replay = self.registry.cancel(facility, mt.group(1), body, key)
        elif m == "POST" and p == "/visits":
            (status, out), replay = self.visits.register(facility, body, key)
        elif m == "POST" and p == "/outcomes":
            (status, out), replay = self.outcomes.register(facility, body, key)
        elif m == "POST" and p == "/dispensings":
            self._pharmacy_only(facility)
            (status, out), replay = self.dispensary.dispense(facility, body, key, claim)
        else:
            return None
        if replay:
            return Answer(200 if status < 300 else status, out, {"Idempotent-Replayed": "true"})
        return Answer(status, out)

    def _batch(self, facility: str, bundle: Any) -> Answer:
        if (
            not isinstance(bundle, dict)
            or bundle.get("resourceType") != "Bundle"
            or bundle.get("type") != "batch"
        ):
            raise malformed("expected a Bundle of type batch")
        entries = bundle.get("entry") or []
        if len(entries) > MAX_BATCH:
            raise ExchangeError(
                413,
                "batch-too-large",
                f"At most {MAX_BATCH} entries per batch.",
                f"هر دسته حداکثر {MAX_BATCH} مورد.",
            )
        out = []
        for e in entries:
            try:
                request = e["request"]
                opts = dict(urllib.parse.parse_qsl(request.get("ifNoneExist", "")))
                path = "/" + request["url"].lstrip("/")
                answer = self._keyed(
                    request["method"],
                    path,
                    facility,
                    e.get("resource"),
                    opts.get("idempotency-key"),
                    opts.get("claim"),
                )
                if answer is None:
                    raise ExchangeError(
                        400,
                        "not-batchable",
                        f"{request['method']} {path} cannot be batched.",
                        "این درخواست را نمی‌توان دسته‌ای فرستاد.",
                    )
            except ExchangeError as exc:
                answer = Answer(exc.status, exc.body())
            except (KeyError, TypeError, AttributeError):
                answer = Answer(400, malformed("a batch entry has no request").body())
            response: dict[str, Any] = {"status": _status_line(answer.status)}
            if answer.status >= 300:
                out.append({"response": {**response, "outcome": answer.body}})
            else:
                out.append({"resource": answer.body, "response": response})
        return Answer(200, {"resourceType": "Bundle", "type": "batch-response", "entry": out})
