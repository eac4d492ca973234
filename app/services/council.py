"""The medical council inquiry (national rules section 8-12): a prescriber's licence status and specialty.

Asked online through the exchange and kept in the store with the time it came, so that offline the last
answer is shown with its age (nothing a pharmacist does waits for the network):

    st = council_status(ws, "123456")         # the council asked now, or the kept answer when it cannot be
    st.answer.status, st.answer.specialty, st.source ("council" | "cache"), st.age()
    st = prescriber_status(ws, "555555")      # the same, never raising: None when nothing is known

A pharmacy sees the status of the prescriber of each paper prescription it scans (`noskhe paper verify`,
`noskhe rx import-paper`); a clinic can check a prescriber before registering him (`noskhe council show`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.errors import ConfigError, NoskheError
from app.identifiers import MedicalCouncilNumber

if TYPE_CHECKING:
    from app.workstation import Workstation

#: licence statuses people read (English, Persian); another status the council sends is shown as it is
STATUSES = {
    "active": ("active", "فعال"),
    "suspended": ("suspended", "تعلیق"),
    "revoked": ("revoked", "لغو پروانه"),
    "not-found": ("not a council member", "عضو نظام پزشکی نیست"),
}
#: licence statuses that bar a member from prescribing: his papers are refused at the counter, offline too
BARRED = ("suspended", "revoked")
#: where an answer came from
SOURCES = ("council", "cache")


def _utc(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class CouncilAnswer:
    """What the medical council says about council number `number`: the licence `status` (`STATUSES`:
    active, suspended, revoked…; `not-found` when no member has that number), the member's name and
    specialty, since when the status holds (ISO 8601, "" when not known) and when the council answered
    (`checked_at`, ISO 8601 UTC)."""

    number: str
    status: str
    checked_at: str
    name: str = ""
    specialty: str = ""
    since: str = ""

    @property
    def active(self) -> bool:
        """True when the licence is in force (only then may he prescribe)."""
        return self.status == "active"

    def to_dict(self) -> dict[str, Any]:
        """`{"number", "status", "name", "specialty", "since", "checked_at"}`."""
        return {
            "number": self.number,
            "status": self.status,
            "name": self.name,
            "specialty": self.specialty,
            "since": self.since,
            "checked_at": self.checked_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CouncilAnswer:
        """The answer kept by `to_dict`."""
        return cls(
            number=str(data["number"]),
            status=str(data["status"]),
            checked_at=str(data["checked_at"]),
            name=str(data.get("name", "")),
            specialty=str(data.get("specialty", "")),
            since=str(data.get("since", "")),
        )


@dataclass(frozen=True)
class CouncilStatus:
    """A council answer as the workstation has it: `source` is `council` (asked just now) or `cache` (the
    answer kept from an earlier inquiry, because the council could not be asked now: `why_en`/`why_fa`)."""

    answer: CouncilAnswer
    source: str
    why_en: str = ""
    why_fa: str = ""

    def age(self, now: dt.datetime | None = None) -> dt.timedelta:
        """How old the answer is: from when the council answered to `now` (default: the clock now)."""
        return max(dt.timedelta(0), (now or dt.datetime.now(dt.UTC)) - _utc(self.answer.checked_at))

    def to_dict(self, now: dt.datetime | None = None) -> dict[str, Any]:
        """The answer plus `source`, `age_seconds` and, from the cache, `offline` (why, English)."""
        out = {
            **self.answer.to_dict(),
            "source": self.source,
            "age_seconds": int(self.age(now).total_seconds()),
        }
        if self.source == "cache":
            out["offline"] = self.why_en
        return out

    def describe(self, lang: str = "fa", now: dt.datetime | None = None) -> str:
        """One line: the status, name and specialty, and where the answer comes from — asked now, or the
        kept answer with its time and age (times through `app.timefmt`)."""
        from app.timefmt import format_age, format_time

        a = self.answer
        en, fa = STATUSES.get(a.status, (a.status, a.status))
        since = f" since {format_time(a.since, lang)}" if a.since and a.status != "active" else ""
        who = ", ".join(x for x in (a.name, a.specialty) if x)
        age = format_age(self.age(now), lang)
        if lang == "fa":
            since = f" از {format_time(a.since, lang)}" if since else ""
            where = (
                "همین حالا از نظام پزشکی پرسیده شد"
                if self.source == "council"
                else f"پاسخ نگه‌داشته از {format_time(a.checked_at, lang)} ({age} پیش)؛ "
                + (
                    "اکنون پرسیده نشد، کار بدون شبکه"
                    if self.why_en == _NOT_ASKED[0]
                    else "نظام پزشکی اکنون در دسترس نیست"
                )
            )
            return f"نظام پزشکی {a.number}: {fa}{since}" + (f" — {who}" if who else "") + f" ({where})"
        where = (
            "asked the council now"
            if self.source == "council"
            else f"kept answer of {format_time(a.checked_at, lang)}, {age} old; "
            + ("not asked now, offline use" if self.why_en == _NOT_ASKED[0] else "the council cannot be asked now")
        )
        return f"council {a.number}: {en}{since}" + (f" — {who}" if who else "") + f" ({where})"


#: why a kept answer is shown when the caller asked not to ask the council (`online=False`)
_NOT_ASKED = ("not asked: offline use", "پرسیده نشد: کار بدون شبکه")


class CouncilUnknown(NoskheError):
    """The council cannot be asked now and no earlier answer about this number is kept."""

    code = "council-unknown"


def _cannot_ask(exc: NoskheError) -> bool:
    """True for failures that mean "not now" (no answer, no exchange configured), not a refusal."""
    return exc.code == "offline" or isinstance(exc, ConfigError)


def council_status(ws: Workstation, number: str, *, online: bool = True) -> CouncilStatus:
    """The licence status and specialty of the member with council number `number` (section 8-12; any
    digits, as typed): asked of the medical council through the exchange and kept with its time; when the
    council cannot be asked (offline, no exchange configured) or `online` is False, the answer kept from
    the last inquiry, with why. The inquiry needs no login (no seal, no PIN). Raises `InvalidIdentifier`
    for a number that is not one, `CouncilUnknown` when the council cannot be asked and nothing is kept,
    and `ExchangeRefused`."""
    value = MedicalCouncilNumber.parse(number).value
    why_en, why_fa = _NOT_ASKED
    if online:
        try:
            answer = ws.public.council(value)
        except NoskheError as exc:
            if not _cannot_ask(exc):
                raise
            why_en, why_fa = exc.en, exc.fa
        else:
            ws.store.council.keep(value, answer.to_dict())
            return CouncilStatus(answer, "council")
    kept = ws.store.council.get(value)
    if kept is None and not online:
        raise CouncilUnknown(
            f"No answer of the medical council about {value} is kept (not asked now: offline use).",
            f"پاسخی از نظام پزشکی دربارهٔ {value} نگه داشته نشده است (پرسیده نشد: بدون شبکه).",
            number=value,
        )
    if kept is None:
        raise CouncilUnknown(
            f"The medical council cannot be asked about {value} now and no earlier answer is kept ({why_en})",
            f"اکنون نمی‌توان از نظام پزشکی دربارهٔ {value} پرسید و پاسخ پیشینی هم نگه داشته نشده است.",
            number=value,
        )
    return CouncilStatus(CouncilAnswer.from_dict(kept), "cache", why_en, why_fa)


def prescriber_status(ws: Workstation, number: str | None) -> CouncilStatus | None:
    """`council_status` for the prescriber of a paper a pharmacy scans, never raising: the council asked
    now, else the kept answer, else None (nothing known, or no number). Used beside a verified paper."""
    if not number:
        return None
    try:
        return council_status(ws, number)
    except NoskheError:
        try:
            return council_status(ws, number, online=False)
        except NoskheError:
            return None


def kept_bar(ws: Workstation, number: str | None) -> CouncilAnswer | None:
    """The medical council's answer kept here (from an earlier inquiry, no network asked) about council
    number `number` when it bars him from prescribing (`BARRED`: suspended, revoked); None when nothing
    is kept, the licence is in force, or `number` is not a council number. Never raises."""
    if not number:
        return None
    try:
        kept = ws.store.council.get(MedicalCouncilNumber.parse(number).value)
    except NoskheError:
        return None
    if kept is None:
        return None
    answer = CouncilAnswer.from_dict(kept)
    return answer if answer.status in BARRED else None


__all__ = [
    "BARRED",
    "STATUSES",
    "CouncilAnswer",
    "CouncilStatus",
    "CouncilUnknown",
    "council_status",
    "kept_bar",
    "prescriber_status",
]
