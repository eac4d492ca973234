"""Exactly-once effects over at-least-once delivery.

Every state-changing call carries an idempotency key (header `Idempotency-Key`, or in a batch entry
`request.ifNoneExist = "idempotency-key=<key>"`). The first call with a key runs and its answer is stored
in the same transaction as its effect; a repeat with the same key and the same body gets the stored answer
without running again; the same key with a different body is refused (422). Refusals that depend only on
the request and the history (409 already dispensed, 422 rules) are stored too; passing ones (404 not yet
registered, 409 claimed by someone who may release) are not, so a retry can succeed later.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from typing import Any

from exchange.db import ExchangeDB, utcnow
from exchange.errors import ExchangeError

Answer = tuple[int, dict[str, Any]]


def body_hash(body: Any) -> str:
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()


def run_once(
    db: ExchangeDB, facility: str, key: str | None, digest: str, work: Callable[[sqlite3.Connection], Answer]
) -> tuple[Answer, bool]:
    """The answer for this key (and whether it is a replay). `work` runs inside one write transaction."""
    if not key:
        raise ExchangeError(
            400,
            "idempotency-key-missing",
            "This call needs an Idempotency-Key.",
            "این درخواست به کلید یکتایی (Idempotency-Key) نیاز دارد.",
        )
    with db.write() as c:
        row = c.execute(
            "SELECT body_hash, status, response FROM idempotency WHERE facility = ? AND key = ?",
            (facility, key),
        ).fetchone()
        if row is not None:
            if row[0] != digest:
                raise ExchangeError(
                    422,
                    "key-reuse",
                    "This idempotency key was used before with a different request.",
                    "این کلید یکتایی پیش‌تر با درخواست دیگری به کار رفته است.",
                    key=key,
                )
            ExchangeDB.event(c, facility, "replayed", key)
            return (row[1], json.loads(row[2])), True
        c.execute("SAVEPOINT work")
        try:
            status, body = work(c)
        except ExchangeError as exc:
            c.execute("ROLLBACK TO work")
            if not getattr(exc, "final", exc.status in (409, 422)):
                raise
            status, body = exc.status, exc.body()
            subject = str(exc.details.get("prescription") or key)
            ExchangeDB.event(c, facility, "refused", subject, {"code": exc.code, "key": key})
        c.execute("RELEASE work")
        c.execute(
            "INSERT INTO idempotency (facility, key, body_hash, status, response, at) VALUES (?,?,?,?,?,?)",
            (facility, key, digest, status, json.dumps(body, ensure_ascii=False), utcnow()),
        )
    return (status, body), False


def passing(exc: ExchangeError) -> ExchangeError:
    """Mark a refusal as not to be remembered (the same request may succeed later)."""
    exc.final = False  # type: ignore[attr-defined]
    return exc
