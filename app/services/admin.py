"""Looking after a workstation: create it, search its drug catalog, check its audit log, back it up and
restore it, change its facility passphrase.

Records and security (national rules, section 11; bylaw art. 9): the store is encrypted under a key the
facility passphrase unwraps; every access to health data is in a hash-chained audit log; backups are
encrypted copies that are proven to open before they are called written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.errors import NoskheError, StoreError

if TYPE_CHECKING:
    from app.domain import Drug
    from app.prompter import Prompter
    from app.workstation import Workstation


@dataclass(frozen=True)
class NewWorkstation:
    """A workstation just created: where, its role (`clinic` or `pharmacy`), its facility's SIAM id and
    how many drugs its starter catalog holds; with an exchange given, what the SIAM registry said of the
    facility (`siam_lookup`)."""

    data_dir: Path
    role: str
    facility_siam: str
    drugs: int
    siam: dict[str, Any] | None = None


def init_workstation(
    data_dir: Path,
    prompter: Prompter,
    *,
    role: str,
    facility: str,
    facility_name: str = "",
    exchange: str | None = None,
) -> NewWorkstation:
    """Create the workstation in `data_dir` (its encrypted store, a new facility passphrase asked from
    `prompter`, purpose `store-new`) for the facility with SIAM id `facility` (section 7; any digit script).
    With `exchange` (its address, kept as `exchange.url`), the facility is looked up in the SIAM registry
    (section 8-9, `siam_lookup`). Raises `StoreError` when a store already exists there or the role or the
    SIAM id is invalid, `ConfigError` for an exchange address that is not one (before anything is made)."""
    from app.workstation import Workstation, check_exchange_url

    url = check_exchange_url(exchange) if exchange else None
    with Workstation.create(data_dir, prompter, role=role, facility=facility, facility_name=facility_name) as ws:
        found = None
        if url:
            from app.services.settings import configure

            configure(ws, {"exchange.url": url})
            found = siam_lookup(ws)
        return NewWorkstation(Path(data_dir), ws.role, ws.facility_siam, ws.store.catalog.count(), found)


def siam_lookup(ws: Workstation) -> dict[str, Any]:
    """Ask the SIAM registry (section 8-9) about this workstation's facility through the exchange (no login)
    and keep the answer (meta `siam.registry`): `{"siam", "name", "kind", "active", "found", "checked_at"}`,
    plus `problem_en`/`problem_fa` when the registry does not know it, holds it inactive or of another kind
    than this workstation's role; `{"offline": True, "reason_en", "reason_fa"}` when it cannot be asked
    (nothing waits: the workstation works as before). Never raises for the network."""
    import datetime as dt
    import json

    try:
        entry = ws.public.siam(ws.facility_siam)
    except NoskheError as exc:
        return {"offline": True, "reason_en": exc.en, "reason_fa": exc.fa}
    out: dict[str, Any] = {"siam": ws.facility_siam, "found": entry is not None, **(entry or {})}
    out["checked_at"] = dt.datetime.now(dt.UTC).isoformat()
    if entry is None:
        out["problem_en"], out["problem_fa"] = "The SIAM registry does not know this facility.", "سیام این مرکز را نمی‌شناسد."
    elif not entry["active"]:
        out["problem_en"], out["problem_fa"] = "The SIAM registry holds this facility inactive.", "این مرکز در سیام غیرفعال است."
    elif entry["kind"] and entry["kind"] != ws.role:
        out["problem_en"] = f"The SIAM registry holds this facility as a {entry['kind']}, not a {ws.role}."
        out["problem_fa"] = "نوع مرکز در سیام با نقش این ایستگاه یکی نیست."
    ws.store.set_meta("siam.registry", json.dumps(out, ensure_ascii=False))
    return out


def search_catalog(ws: Workstation, text: str, *, limit: int = 20) -> list[Drug]:
    """Drugs matching every word of `text` (Persian or English name, or code) as a prefix, best first; at
    most `limit`. An empty list when nothing matches."""
    return ws.store.catalog.search(text, limit=limit)


def verify_audit(ws: Workstation) -> int:
    """Walk the audit log's hash chain (bylaw art. 9.6); returns how many rows are intact. Raises
    `StoreError` naming the first broken row and why."""
    count, problem = ws.store.audit.verify()
    if problem:
        raise StoreError(
            f"Audit log broken at row {problem.seq}: {problem.reason_en}.",
            f"گزارش ممیزی از ردیف {problem.seq} خراب است: {problem.reason_fa}.",
        )
    return count


def audit_entries(ws: Workstation, *, patient: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The latest audit rows first (each a dict: seq, at, user, role, facility, action, patient, object,
    outcome), at most `limit`, only those about `patient` (`kind:value`, or a bare id read by its shape,
    in any digits) when given; each also names the person logged in (person, licence: `none` when
    nobody was, None on rows from before schema 5) and the workstation. Once the facility keeps a users
    list only a manager may read it (`app.services.users.AUDIT`; raises `NotPermitted`)."""
    from app.services.users import AUDIT, require

    require(ws, AUDIT)
    if patient:
        from app.errors import InvalidIdentifier
        from app.identifiers import guess_patient_id

        try:
            found = guess_patient_id(patient)
            patient = f"{found.kind}:{found.value}"
        except InvalidIdentifier:
            pass  # not a patient id: nothing matches, as before
    return ws.store.audit.entries(patient=patient, limit=limit)


def backup(ws: Workstation, path: Path) -> dict[str, Any]:
    """Write an encrypted backup of the store to `path` and prove it opens (with the facility passphrase,
    asked from the workstation's prompter); returns its header (`size` in bytes, `counts` per table,
    `created_at`, `facility`). Raises `ConfigError`/`StoreError` when it cannot be written or read back."""
    from app.store.backup import create_backup

    return create_backup(ws.store, Path(path), ws.prompter.passphrase("store"))


def restore(data_dir: Path, path: Path, passphrase: str) -> dict[str, Any]:
    """Replace the store in `data_dir` with the backup in `path`, opened with the backup's own `passphrase`;
    the previous files are kept aside (`previous` in the returned header). Raises `StoreError` for a file
    that is not a backup or a wrong passphrase (nothing is changed then)."""
    from app.store.backup import restore_backup

    return restore_backup(Path(path), Path(data_dir), passphrase)


def change_passphrase(data_dir: Path, old: str, new: Callable[[], str]) -> None:
    """Change the facility passphrase of the store in `data_dir`: the key is rewrapped, the data is not
    re-encrypted. `old` is checked first (a missing store or a wrong passphrase stops there, before `new()`
    is asked). Raises `StoreError`/`WrongPassphrase`, or `NoskheError` for a new passphrase refused."""
    from app.store.db import KEY_NAME
    from app.store.keyfile import KeyFile

    keyfile = KeyFile(Path(data_dir) / KEY_NAME)
    keyfile.unwrap(old)
    keyfile.rewrap(old, new())


__all__ = [
    "NewWorkstation",
    "audit_entries",
    "backup",
    "change_passphrase",
    "init_workstation",
    "restore",
    "search_catalog",
    "verify_audit",
]
