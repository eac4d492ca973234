"""Users, roles, permissions and shifts of one facility (issue 12 item 6; bylaw 004 art. 9.6).

Each person logs in with their own token; the certificate's national code says who it is, and the
facility's users list (kept by its manager) says what that person may do:

| role (pharmacy) | sign (dispense) | statements | manage users | audit log |
|-----------------|-----------------|------------|--------------|-----------|
| manager         | yes             | yes        | yes          | yes       |
| pharmacist      | yes             | yes        | —            | —         |
| technician      | —               | —          | —            | —         |
| cashier         | —               | yes        | —            | —         |

| role (clinic)   | sign (prescribe)| statements | manage users | audit log |
|-----------------|-----------------|------------|--------------|-----------|
| manager         | yes             | yes        | yes          | yes       |
| physician       | yes             | yes        | —            | —         |
| receptionist    | —               | —          | —            | —         |

**Bootstrapping** (what a clinic's IT person finds after the upgrade): a store with no users list works as
before — whoever logs in with a configured token may do everything. The list starts when somebody adds the
first user (`noskhe users add …` or the desktop's Users page): the person adding, identified by the token
they log in with, is registered first as the facility's manager, so nobody locks themselves out. From then
on a person not on the list, or deactivated, may only look things up; the last active manager cannot be
demoted or deactivated.

Permissions are enforced here, in the use cases (signing through `Workstation.signing_user()`, statements,
users, the audit log), never in widgets: the desktop only hides what would be refused.

Shifts are audit rows: `shift.start` when a person logs in (or unlocks), `shift.end` when the window locks,
logs out or closes (the reason in the row's outcome); `shifts()` pairs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.audit import Person
from app.errors import NoskheError
from app.identifiers import NationalCode
from app.store.users import FacilityUser, UserTable

if TYPE_CHECKING:
    from app.signing import SignerIdentity
    from app.workstation import Workstation

SIGN, STATEMENTS, USERS, AUDIT = "sign", "statements", "users", "audit"
#: the roles a facility's users may have, by workstation role; the first is the manager
ROLES: dict[str, tuple[str, ...]] = {
    "pharmacy": ("manager", "pharmacist", "technician", "cashier"),
    "clinic": ("manager", "physician", "receptionist"),
}
MANAGER = "manager"
#: what each role may do
PERMISSIONS: dict[str, frozenset[str]] = {
    "manager": frozenset({SIGN, STATEMENTS, USERS, AUDIT}),
    "pharmacist": frozenset({SIGN, STATEMENTS}),
    "technician": frozenset(),
    "cashier": frozenset({STATEMENTS}),
    "physician": frozenset({SIGN, STATEMENTS}),
    "receptionist": frozenset(),
}
#: role → (Persian, English)
ROLE_NAMES: dict[str, tuple[str, str]] = {
    "manager": ("مدیر", "manager"),
    "pharmacist": ("داروساز", "pharmacist"),
    "technician": ("تکنسین", "technician"),
    "cashier": ("صندوق‌دار", "cashier"),
    "physician": ("پزشک", "physician"),
    "receptionist": ("منشی", "receptionist"),
}
#: (permission, workstation role) → what is refused, (Persian, English)
_DOING: dict[str, tuple[str, str]] = {
    SIGN + ":clinic": ("نسخه امضا کند", "sign prescriptions"),
    SIGN + ":pharmacy": ("نسخه تحویل و امضا کند", "sign dispensings"),
    STATEMENTS: ("صورت‌حساب‌ها را ببیند", "see statements"),
    USERS: ("کاربران را مدیریت کند", "manage users"),
    AUDIT: ("گزارش ممیزی را ببیند", "see the audit log"),
}


class NotPermitted(NoskheError):
    """The person logged in may not do this here (role, not on the users list, deactivated)."""

    code = "not-permitted"


@dataclass(frozen=True)
class Shift:
    """One person's shift at this workstation: national code, name (from the users list or the
    certificate), council or licence number, workstation, start and end (ISO 8601 UTC; end None while
    open) and how it ended (`lock`, `logout`, `quit`, `idle`, `removed`, or `` while open)."""

    national_code: str
    name: str
    licence: str
    workstation: str
    started_at: str
    ended_at: str | None
    ended_by: str


# ---- who -----------------------------------------------------------------------------------------------


def person_of(who: SignerIdentity) -> Person:
    """The audit log's `Person` for a certificate's identity: national code, council or licence number."""
    return Person(
        who.national_code or "?", who.medical_council_number or who.pharmacist_licence or "", who.name
    )


def table(ws: Workstation) -> UserTable:
    """The store's users table."""
    return UserTable(ws.store.db, ws.store.audit)


def roster(ws: Workstation) -> list[FacilityUser]:
    """Every user of the facility, active first (an empty list: no users list yet, see the bootstrapping
    rule in this module's docstring)."""
    return table(ws).all()


def has_roster(ws: Workstation) -> bool:
    """True once the facility keeps a users list (someone added the first user)."""
    return table(ws).count() > 0


def logged_in(ws: Workstation) -> Person | None:
    """The person whose token is logged in now, without asking for anything; None when nobody is."""
    return ws.store.audit.person


def identify(ws: Workstation) -> Person:
    """The person at the keyboard: the one logged in, else whoever logs in to the user's token now (its
    PIN or key passphrase asked through the prompter). Raises the token's errors, `ConfigError`."""
    person = logged_in(ws)
    if person is not None:
        return person
    return person_of(ws.user_signer().identity())


def user_of(ws: Workstation, person: Person | None) -> FacilityUser | None:
    """The users-list row of `person`, None when not on the list (or nobody)."""
    return table(ws).get(person.national_code) if person is not None else None


def may(ws: Workstation, permission: str, person: Person | None = None) -> bool:
    """Whether `person` (default: the one logged in; nobody may nothing once there is a list) may do
    `permission` here, asking for nothing: for what the desktop shows. True with no users list yet."""
    if not has_roster(ws):
        return True
    user = user_of(ws, person or logged_in(ws))
    return user is not None and user.active and permission in PERMISSIONS.get(user.role, frozenset())


def require(ws: Workstation, permission: str, person: Person | None = None) -> None:
    """Refuse with `NotPermitted` unless `person` (default: the one logged in, else whoever logs in to
    the user's token now) may do `permission` (`SIGN`, `STATEMENTS`, `USERS`, `AUDIT`) here. With no
    users list yet nothing is refused and nothing is asked."""
    if not has_roster(ws):
        return
    person = person or identify(ws)
    user = user_of(ws, person)
    fa, en = _DOING.get(f"{permission}:{ws.role}") or _DOING[permission]
    if user is None:
        raise NotPermitted(
            f"{person.name or person.national_code} ({person.national_code}) is not a user of this facility and"
            f" may not {en}: the manager adds you (noskhe users add).",
            f"{person.name or person.national_code} ({person.national_code}) کاربر این مرکز نیست و نمی‌تواند"
            f" {fa}: مدیر مرکز باید شما را اضافه کند.",
        )
    if not user.active:
        raise NotPermitted(
            f"{user.name} ({user.national_code}) is deactivated at this facility and may not {en}.",
            f"کاربر {user.name} ({user.national_code}) در این مرکز غیرفعال است و نمی‌تواند {fa}.",
        )
    if permission not in PERMISSIONS.get(user.role, frozenset()):
        role_fa, role_en = ROLE_NAMES.get(user.role, (user.role, user.role))
        raise NotPermitted(
            f"{user.name} ({user.national_code}), {role_en}, may not {en}: ask the manager for that role.",
            f"{user.name} ({user.national_code}) با نقش {role_fa} نمی‌تواند {fa}؛ از مدیر مرکز بخواهید.",
        )


def require_signing(ws: Workstation, who: SignerIdentity) -> None:
    """Refuse with `NotPermitted` unless the certificate's holder `who` may sign here (prescribe at a
    clinic, dispense at a pharmacy); called by `Workstation.signing_user()` before every signature. A
    refusal is audited (`sign.refused`, naming the person; outcome: their role, `inactive` or
    `not-a-user`)."""
    person = person_of(who)
    try:
        require(ws, SIGN, person)
    except NotPermitted:
        user = user_of(ws, person)
        outcome = "not-a-user" if user is None else (user.role if user.active else "inactive")
        ws.store.audit.record(
            "sign.refused", obj=f"user:{who.national_code or '?'}", outcome=outcome, as_person=person
        )
        raise


# ---- managing users -----------------------------------------------------------------------------------


def _role(ws: Workstation, role: str) -> str:
    roles = ROLES.get(ws.role, ())
    role = role.strip().lower()
    if role not in roles:
        raise NoskheError(
            f"Unknown role {role!r}: one of {', '.join(roles)}.",
            f"نقش {role!r} شناخته نیست: یکی از {'، '.join(ROLE_NAMES[r][0] for r in roles)}.",
        )
    return role


def _existing(ws: Workstation, national_code: str) -> FacilityUser:
    code = NationalCode.parse(national_code).value
    user = table(ws).get(code)
    if user is None:
        raise NoskheError(
            f"{code} is not a user of this facility: see `noskhe users list`.", f"{code} کاربر این مرکز نیست."
        )
    return user


def add_user(ws: Workstation, national_code: str, name: str, role: str, licence: str = "") -> FacilityUser:
    """Add a person (national code, checked; name; role of `ROLES[ws.role]`; council or licence number)
    to the facility's users, active. Only a manager may; the first user ever added makes the person adding
    (identified by their token) the manager first — adding oneself first requires the manager role.
    Returns the new row. Raises `InvalidIdentifier`, `NotPermitted`, `NoskheError` (unknown role, empty
    name, already a user), the token's errors."""
    code = NationalCode.parse(national_code).value
    role = _role(ws, role)
    if not name.strip():
        raise NoskheError("A user needs a name.", "نام کاربر لازم است.")
    users = table(ws)
    if not has_roster(ws):
        me = identify(ws)
        if not NationalCode.is_valid(me.national_code):
            raise NoskheError(
                "The certificate logged in names no national code: log in with your own token to become the "
                "manager.",
                "گواهی واردشده کد ملی ندارد: برای مدیر شدن با توکن شخصی خود وارد شوید.",
            )
        mine = me.national_code == code
        if mine and role != MANAGER:
            raise NoskheError(
                "The first user is the facility's manager: add yourself with the role manager.",
                "نخستین کاربر مدیر مرکز است: خود را با نقش مدیر اضافه کنید.",
            )
        first = FacilityUser(
            me.national_code,
            (name.strip() if mine else "") or me.name or me.national_code,
            MANAGER,
            (licence.strip() if mine else "") or me.licence,
        )
        with ws.store.transaction():
            added = users.add(first)
            return added if mine else users.add(FacilityUser(code, name.strip(), role, licence.strip()))
    require(ws, USERS)
    if users.get(code) is not None:
        raise NoskheError(
            f"{code} is already a user: change the role with `noskhe users set-role`.",
            f"{code} از پیش کاربر این مرکز است: نقش را با ‎noskhe users set-role‎ تغییر دهید.",
        )
    return users.add(FacilityUser(code, name.strip(), role, licence.strip()))


def _keep_a_manager(ws: Workstation, user: FacilityUser) -> None:
    if user.role == MANAGER and user.active and table(ws).count(active_only=True, role=MANAGER) <= 1:
        raise NoskheError(
            f"{user.name} is the last active manager: make someone else manager first.",
            f"{user.name} آخرین مدیر فعال مرکز است: نخست کاربر دیگری را مدیر کنید.",
        )


def set_role(ws: Workstation, national_code: str, role: str) -> FacilityUser:
    """Give user `national_code` the role `role` (manager only; the last active manager keeps the role).
    Returns the changed row. Raises `NotPermitted`, `NoskheError`."""
    role = _role(ws, role)
    require(ws, USERS)
    user = _existing(ws, national_code)
    if role != MANAGER:
        _keep_a_manager(ws, user)
    table(ws).set_role(user.national_code, role)
    return _existing(ws, user.national_code)


def set_active(ws: Workstation, national_code: str, active: bool) -> FacilityUser:
    """Deactivate (or activate again) user `national_code` (manager only; never the last active
    manager). A deactivated person may log in to look things up but not sign, see statements or manage.
    Returns the changed row. Raises `NotPermitted`, `NoskheError`."""
    require(ws, USERS)
    user = _existing(ws, national_code)
    if not active:
        _keep_a_manager(ws, user)
    table(ws).set_active(user.national_code, active)
    return _existing(ws, user.national_code)


# ---- shifts and the audit log -----------------------------------------------------------------------


def start_shift(ws: Workstation, who: SignerIdentity) -> None:
    """Record that `who` logged in (or unlocked) here: a `shift.start` audit row naming them (its
    outcome: the certificate's name, shown for a person not on the users list)."""
    ws.store.audit.record(
        "shift.start",
        obj=f"user:{who.national_code or '?'}",
        outcome=who.name or "ok",
        as_person=person_of(who),
    )


def end_shift(ws: Workstation, who: SignerIdentity, reason: str) -> None:
    """Record that `who`'s shift ended here (`reason`: `manual` lock, `idle`, `removed` token, `logout`,
    `quit`): a `shift.end` audit row naming them."""
    ws.store.audit.record(
        "shift.end", obj=f"user:{who.national_code or '?'}", outcome=reason, as_person=person_of(who)
    )


def shifts(ws: Workstation, *, limit: int = 200) -> list[Shift]:
    """The latest shifts first (at most `limit`), from the audit log's `shift.*` rows; a start with no end
    is open (or the workstation stopped without one: the next start of that person closes it as `?`)."""
    rows = ws.store.audit.entries(actions=("shift.start", "shift.end"), limit=limit * 2)
    names = {u.national_code: u.name for u in roster(ws)}
    out: list[Shift] = []
    open_: dict[str, int] = {}
    for row in reversed(rows):
        code = str(row.get("person") or "?")
        if row["action"] == "shift.start":
            if code in open_:
                out[open_[code]] = _closed(out[open_[code]], row["at"], "?")
            open_[code] = len(out)
            certificate = str(row.get("outcome") or "")
            out.append(
                Shift(
                    code,
                    names.get(code) or (certificate if certificate != "ok" else ""),
                    row.get("licence") or "",
                    row.get("workstation") or "",
                    row["at"],
                    None,
                    "",
                )
            )
        elif code in open_:
            i = open_.pop(code)
            out[i] = _closed(out[i], row["at"], str(row["outcome"]))
    return list(reversed(out))[:limit]


def _closed(shift: Shift, at: str, how: str) -> Shift:
    return Shift(shift.national_code, shift.name, shift.licence, shift.workstation, shift.started_at, at, how)


def audit_log(
    ws: Workstation, *, person: str | None = None, patient: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """The latest audit rows first (at most `limit`; only `person`'s — a national code or `none` — or
    about `patient` — `kind:value` — when given), each a dict of the audit columns plus `name` (from the
    users list, else ``). For managers (`AUDIT`); raises `NotPermitted`."""
    require(ws, AUDIT)
    names = {u.national_code: u.name for u in roster(ws)}
    rows = ws.store.audit.entries(person=person, patient=patient, limit=limit)
    return [{**r, "name": names.get(str(r.get("person")), "")} for r in rows]


__all__ = [
    "AUDIT",
    "MANAGER",
    "PERMISSIONS",
    "ROLES",
    "ROLE_NAMES",
    "SIGN",
    "STATEMENTS",
    "USERS",
    "FacilityUser",
    "NotPermitted",
    "Shift",
    "add_user",
    "audit_log",
    "end_shift",
    "has_roster",
    "identify",
    "logged_in",
    "may",
    "person_of",
    "require",
    "require_signing",
    "roster",
    "set_active",
    "set_role",
    "shifts",
    "start_shift",
]
