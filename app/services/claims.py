"""Each insurer's monthly claim list: the lines of this facility's statement (9-2-9 for a pharmacy, 9-1-8
for a clinic) in one Jalali month whose patient that insurer covers, with who, what and the shares in
rials — exported to CSV and XLSX (here) or printed (`printing.claims_pdf`).

    claims = claim_list(ws, "IHIO", "1405-09")      # asks the exchange for Azar 1405's statement
    export(claims, Path("ihio-1405-09.xlsx"))        # .csv or .xlsx, by the file's suffix

The amounts are the exchange's (what the insurer will be asked to pay), so a claim list's totals are those of
the statement's lines for that insurer; the names, ids and the prescriber come from the prescriptions held
here. A line whose prescription is not held here has no insurer and is in no insurer's list.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jdatetime

from app.errors import InvalidDate, NoskheError
from app.services.statements import line_day, report
from app.store import reports
from app.text import normalize_code, to_persian_digits
from app.timefmt import MONTHS_EN, MONTHS_FA, jalali_date

if TYPE_CHECKING:
    from app.workstation import Workstation

_MONTH = re.compile(r"^\s*(\d{4})\s*[-/.]\s*(\d{1,2})\s*$")

#: the columns of an exported list: key, Persian heading, English heading
COLUMNS = (
    ("row", "ردیف", "Row"),
    ("date", "تاریخ", "Date"),
    ("reference", "شمارهٔ پیگیری", "Reference"),
    ("patient_name", "بیمار", "Patient"),
    ("patient_id", "کد ملی", "Patient id"),
    ("insurance_number", "شمارهٔ بیمه", "Insurance number"),
    ("prescriber", "پزشک", "Prescriber"),
    ("council", "نظام پزشکی", "Council number"),
    ("items", "اقلام", "Items"),
    ("total", "مبلغ کل (ریال)", "Total (rials)"),
    ("insurer", "سهم بیمه (ریال)", "Insurer share (rials)"),
    ("patient", "سهم بیمار (ریال)", "Patient share (rials)"),
    ("prescription", "شناسهٔ نسخه", "Prescription id"),
)


class UnknownInsurer(NoskheError):
    code = "unknown-insurer"


@dataclass(frozen=True)
class ClaimLine:
    """One claimed prescription or dispensing: its Iran day, the exchange's reference, the patient, the
    insurance number, the prescriber and council number, how many items, and the shares in rials."""

    day: dt.date
    reference: str
    prescription: str
    patient_name: str
    patient_id: str
    insurance_number: str
    prescriber: str
    council: str
    items: int
    insurer: int
    patient: int

    @property
    def total(self) -> int:
        """Insurer's share + patient's share, rials."""
        return self.insurer + self.patient


@dataclass(frozen=True)
class ClaimList:
    """One insurer's claims for one Jalali month (`month` as `YYYY-MM`, Jalali): the facility, the
    insurer's code and names, the Gregorian days covered (both included) and the lines, oldest first."""

    facility: str
    facility_name: str
    kind: str
    insurer: str
    insurer_fa: str
    insurer_en: str
    month: str
    start: dt.date
    end: dt.date
    lines: list[ClaimLine]

    def totals(self) -> dict[str, int]:
        """`{"count", "insurer", "patient", "total"}`, amounts in rials."""
        ins, pat = sum(x.insurer for x in self.lines), sum(x.patient for x in self.lines)
        return {"count": len(self.lines), "insurer": ins, "patient": pat, "total": ins + pat}

    def month_name(self, lang: str = "fa") -> str:
        """`آذر ۱۴۰۵` / `Azar 1405`."""
        year, month = (int(x) for x in self.month.split("-"))
        if lang == "fa":
            return to_persian_digits(f"{MONTHS_FA[month - 1]} {year}")
        return f"{MONTHS_EN[month - 1]} {year}"

    def rows(self, lang: str = "fa") -> list[list[Any]]:
        """The table as exported, one list per line in `COLUMNS` order (amounts as ints, the day as Jalali
        `YYYY/MM/DD` in Latin digits so spreadsheets sort it)."""
        out: list[list[Any]] = []
        for i, x in enumerate(self.lines, 1):
            day = normalize_code(jalali_date(x.day))
            values = {
                "row": i, "date": day, "reference": x.reference, "patient_name": x.patient_name,
                "patient_id": x.patient_id, "insurance_number": x.insurance_number, "prescriber": x.prescriber,
                "council": x.council, "items": x.items, "total": x.total, "insurer": x.insurer,
                "patient": x.patient, "prescription": x.prescription,
            }  # fmt: skip
            out.append([values[key] for key, _fa, _en in COLUMNS])
        return out

    def headings(self, lang: str = "fa") -> list[str]:
        """The column headings in `lang`."""
        return [fa if lang == "fa" else en for _key, fa, en in COLUMNS]

    def totals_row(self, lang: str = "fa") -> list[Any]:
        """The last row: the word "total" under the patient's name, the sums under the amounts."""
        t = self.totals()
        row: list[Any] = ["" for _ in COLUMNS]
        keys = [key for key, _fa, _en in COLUMNS]
        row[keys.index("patient_name")] = "جمع" if lang == "fa" else "Total"
        row[keys.index("items")] = t["count"]
        row[keys.index("total")], row[keys.index("insurer")] = t["total"], t["insurer"]
        row[keys.index("patient")] = t["patient"]
        return row


def month_range(month: str) -> tuple[str, dt.date, dt.date]:
    """A Jalali month as people type it (`1405-09`, `۱۴۰۵/۹`) → (`YYYY-MM`, its first and last Gregorian
    days). Raises `InvalidDate` for anything else."""
    m = _MONTH.match(normalize_code(month))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise InvalidDate(
            f"{month!r} is not a Jalali month (YYYY-MM, e.g. 1405-09).",
            f"«{month}» ماه شمسی نیست (سال-ماه، مانند ۱۴۰۵-۰۹).",
        )
    year, mon = int(m.group(1)), int(m.group(2))
    first = jdatetime.date(year, mon, 1).togregorian()
    after = jdatetime.date(year + (mon == 12), mon % 12 + 1, 1).togregorian()
    return f"{year:04d}-{mon:02d}", first, after - dt.timedelta(days=1)


def this_month(today: dt.date | None = None) -> str:
    """The current Jalali month as `YYYY-MM` (Iran's today unless `today` is given)."""
    from app.domain import IRAN_TZ

    j = jdatetime.date.fromgregorian(date=today or dt.datetime.now(IRAN_TZ).date())
    return f"{j.year:04d}-{j.month:02d}"


def claim_list(ws: Workstation, insurer: str, month: str) -> ClaimList:
    """Insurer `insurer`'s (a code of the catalog's insurers, any case) claim list for the Jalali `month`
    from this facility's statement at the exchange. Raises `InvalidDate`, `UnknownInsurer`, and what
    `app.services.statements.statement` raises (`ExchangeUnavailable` when the exchange does not answer)."""
    found = next((i for i in ws.store.catalog.insurers() if i.code.upper() == insurer.strip().upper()), None)
    if found is None:
        codes = ", ".join(i.code for i in ws.store.catalog.insurers())
        raise UnknownInsurer(
            f"No insurer {insurer!r}; the insurers are {codes}.",
            f"بیمه‌ای با کد «{insurer}» نیست؛ بیمه‌ها: {codes}.",
        )
    key, first, last = month_range(month)
    rep = report(ws, first, last)
    st = rep.statement
    mine = [x for x in st.lines if rep.insurer_of.get(x.prescription) == found.code]
    docs = reports.prescriptions_by_id(ws.store, (x.prescription for x in mine))
    lines = []
    for x in mine:
        rx = docs.get(x.prescription) or {}
        patient, prescriber = rx.get("patient") or {}, rx.get("prescriber") or {}
        coverage = patient.get("coverage") or {}
        lines.append(
            ClaimLine(
                day=line_day(x),
                reference=x.reference or "",
                prescription=x.prescription,
                patient_name=f"{patient.get('first_name', '')} {patient.get('last_name', '')}".strip(),
                patient_id=str((patient.get("id") or {}).get("value", "")),
                insurance_number=str(coverage.get("insurance_number") or ""),
                prescriber=str(prescriber.get("name") or ""),
                council=str(prescriber.get("medical_council_number") or ""),
                items=len(rx.get("items") or ()),
                insurer=x.insurer,
                patient=x.patient,
            )
        )
    return ClaimList(
        facility=st.facility,
        facility_name=ws.store.meta("facility_name") or "",
        kind=st.kind,
        insurer=found.code,
        insurer_fa=found.name_fa,
        insurer_en=found.name_en,
        month=key,
        start=first,
        end=last,
        lines=lines,
    )


def write_csv(claims: ClaimList, path: Path, *, lang: str = "fa") -> Path:
    """The list as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read Persian): headings,
    one row per line, the totals row. Returns `path`."""
    with Path(path).open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(claims.headings(lang))
        out.writerows(claims.rows(lang))
        out.writerow(claims.totals_row(lang))
    return Path(path)


def write_xlsx(claims: ClaimList, path: Path, *, lang: str = "fa") -> Path:
    """The list as an Excel workbook: one right-to-left sheet (left-to-right in English) named for the
    insurer and month, headings in bold on row 1, amounts as numbers with thousands separators, the totals
    row last in bold. Returns `path`."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"{claims.insurer} {claims.month}"[:31]
    sheet.sheet_view.rightToLeft = lang == "fa"
    sheet.append(claims.headings(lang))
    for row in claims.rows(lang):
        sheet.append(row)
    sheet.append(claims.totals_row(lang))
    bold = Font(bold=True)
    for cell in (*sheet[1], *sheet[sheet.max_row]):
        cell.font = bold
    keys = [key for key, _fa, _en in COLUMNS]
    for key in ("total", "insurer", "patient"):
        letter = sheet.cell(row=1, column=keys.index(key) + 1).column_letter
        for cell in sheet[letter][1:]:
            cell.number_format = "#,##0"
    for i, (key, _fa, _en) in enumerate(COLUMNS, 1):
        width = {"patient_name": 24, "prescriber": 24, "prescription": 30, "reference": 16}.get(key, 14)
        sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = width
    sheet.freeze_panes = "A2"
    book.properties.title = f"{claims.insurer_en} {claims.month_name('en')} — {claims.facility}"
    book.save(str(path))
    return Path(path)


def export(claims: ClaimList, path: Path, *, lang: str = "fa") -> Path:
    """Write the list to `path` as its suffix says (`.csv` or `.xlsx`). Raises `NoskheError` for another
    suffix (a PDF is printing's: `printing.claims_pdf.claims_pdf`)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return write_csv(claims, path, lang=lang)
    if suffix == ".xlsx":
        return write_xlsx(claims, path, lang=lang)
    raise NoskheError(
        f"{path}: a claim list is written as .csv or .xlsx (or .pdf to print).",
        f"{path}: فهرست به صورت csv یا xlsx (یا pdf برای چاپ) نوشته می‌شود.",
    )


__all__ = [
    "COLUMNS",
    "ClaimLine",
    "ClaimList",
    "UnknownInsurer",
    "claim_list",
    "export",
    "month_range",
    "this_month",
    "write_csv",
    "write_xlsx",
]
