"""The facility's users in the store (schema 5): who works here, in which role, and whether still active.

Rows are never deleted: a person who leaves is deactivated, so the audit log's national codes keep a name.
Every change appends an audit row (`user.add`, `user.role`, `user.active`) in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.store.audit import AuditLog
from app.store.db import Database, now_iso


@dataclass(frozen=True)
class FacilityUser:
    """One person of the facility: national code (10 digits), name, role (`app.services.users.ROLES`),
    medical council number or pharmacist licence (empty when none), active or not, and when the row was
    added and last changed (ISO 8601 UTC)."""

    national_code: str
    name: str
    role: str
    licence: str = ""
    active: bool = True
    created_at: str = ""
    updated_at: str = ""


_COLUMNS = "national_code, name, role, licence, active, created_at, updated_at"


def _user(row: tuple[object, ...]) -> FacilityUser:
    return FacilityUser(
        str(row[0]), str(row[1]), str(row[2]), str(row[3] or ""), bool(row[4]), str(row[5]), str(row[6])
    )


class UserTable:
    """The `users` table of one store."""

    def __init__(self, db: Database, audit: AuditLog) -> None:
        self.db = db
        self.audit = audit

    def all(self) -> list[FacilityUser]:
        """Every user, active first, then by name."""
        cur = self.db.conn().execute(
            f"SELECT {_COLUMNS} FROM users ORDER BY active DESC, name, national_code"
        )
        return [_user(r) for r in cur]

    def count(self, *, active_only: bool = False, role: str | None = None) -> int:
        """How many users (only active ones, only of `role`, when asked)."""
        sql, args = "SELECT COUNT(*) FROM users WHERE 1=1", []
        if active_only:
            sql += " AND active = 1"
        if role:
            sql += " AND role = ?"
            args.append(role)
        return int(self.db.conn().execute(sql, args).fetchone()[0])

    def get(self, national_code: str) -> FacilityUser | None:
        """The user of `national_code`, or None."""
        row = (
            self.db.conn()
            .execute(f"SELECT {_COLUMNS} FROM users WHERE national_code = ?", (national_code,))
            .fetchone()
        )
        return _user(row) if row else None

    def add(self, user: FacilityUser) -> FacilityUser:
        """Insert `user` (active); returns it as stored. The caller has checked it is not there yet."""
        at = now_iso()
        with self.db.transaction() as c:
            c.execute(
                f"INSERT INTO users ({_COLUMNS}) VALUES (?, ?, ?, ?, 1, ?, ?)",
                (user.national_code, user.name, user.role, user.licence, at, at),
            )
            self.audit.record("user.add", obj=f"user:{user.national_code}", outcome=user.role)
        stored = self.get(user.national_code)
        assert stored is not None
        return stored

    def set_role(self, national_code: str, role: str) -> None:
        """Change the role of `national_code` (an existing user)."""
        with self.db.transaction() as c:
            c.execute(
                "UPDATE users SET role = ?, updated_at = ? WHERE national_code = ?",
                (role, now_iso(), national_code),
            )
            self.audit.record("user.role", obj=f"user:{national_code}", outcome=role)

    def set_active(self, national_code: str, active: bool) -> None:
        """Activate or deactivate `national_code` (an existing user)."""
        with self.db.transaction() as c:
            c.execute(
                "UPDATE users SET active = ?, updated_at = ? WHERE national_code = ?",
                (1 if active else 0, now_iso(), national_code),
            )
            self.audit.record(
                "user.active", obj=f"user:{national_code}", outcome="active" if active else "inactive"
            )


__all__ = ["FacilityUser", "UserTable"]
