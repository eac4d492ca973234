"""The pharmacist's operations: each takes the workstation and plain values and returns an `Op`.

They call the same use cases as `noskhe rx retrieve`, `noskhe dispense [--paper]` and `noskhe receipt print`
(`sync.retrieve`, `sync.counter`, `printing.pharmacy`): nothing here decides anything about a dispensing.
Whatever may wait on the exchange or a token (retrieval, TTAC, the rules, signing, a paper's certificate
status) runs on the network lane; reads of the store on the store lane.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ui.common.operations import Changes, Op
from ui.common.taskman import Lane

if TYPE_CHECKING:
    from app.domain import Prescription
    from app.packs import PackScan
    from app.services.checking import Verdict
    from app.services.dispensing import DispenseLine
    from app.workstation import Workstation
    from printing.pharmacy import PaperVerdict
    from sync.counter import CounterConflict, DispenseResult, PackCheck
    from sync.retrieve import Retrieved


def retrieve(
    ws: Workstation, key: str, value: str, *, patient: str | None = None, skip: str | None = None
) -> Op[Retrieved]:
    """The open prescriptions the exchange holds for `key` = `value` (national-code, fida, hid, tracking…),
    verified and kept here. By a tracking code or HID the code the patient presents (`patient`) is
    required, or a reason it cannot be asked (`skip`, audited) — `sync.retrieve.patient_check`, as
    `noskhe rx retrieve --patient` / `--no-patient-check` do; a prescription not the patient's is refused."""
    from sync.retrieve import patient_check, retrieve_prescriptions

    def work() -> Retrieved:
        patient_check(ws, key=key, value=value, patient=patient, skip=skip)
        return retrieve_prescriptions(ws, key=key, value=value, patient=patient)

    return Op(
        work,
        lane=Lane.NETWORK,
        changes=lambda got: Changes(prescriptions=frozenset(r.id for r in got.prescriptions)),
    )


def scan_paper(ws: Workstation, texts: Sequence[str]) -> Op[PaperVerdict]:
    """A paper QR verified offline and, when it verifies, kept for dispensing; its verdict."""
    from printing.pharmacy import paper_verdict

    return Op(
        lambda: paper_verdict(ws, texts),
        lane=Lane.NETWORK,  # the certificate's status is asked online when the exchange answers
        changes=lambda v: Changes(prescriptions=frozenset({v.prescription.id} if v.prescription else ())),
    )


def open_prescription(ws: Workstation, rx_id: str) -> Op[Prescription]:
    """The prescription kept here (id or tracking code), with what was dispensed of each line."""
    from app.services.dispensing import kept_prescription

    return Op(lambda: kept_prescription(ws.store, rx_id))


def kept_prescriptions(ws: Workstation, ids: Sequence[str]) -> Op[list[Prescription]]:
    """The prescriptions kept here with these ids, as they stand now (those gone are left out)."""
    from app.errors import NotFound

    def work() -> list[Prescription]:
        out = []
        for rx_id in ids:
            try:
                out.append(ws.store.get_prescription(rx_id))
            except NotFound:
                pass
        return out

    return Op(work)


def preview(ws: Workstation, rx_id: str, lines: Sequence[DispenseLine], *, offline: bool) -> Op[Verdict]:
    """The rules' findings and the split for these lines before signing (the exchange's when online)."""
    from sync.counter import preview_dispensing

    return Op(lambda: preview_dispensing(ws, rx_id, lines, offline=offline), lane=Lane.NETWORK)


def check_pack(ws: Workstation, scan: PackScan, drug_code: str, *, offline: bool) -> Op[PackCheck]:
    """One scanned pack: refused when expired, TTAC's verdict online, the check queued offline."""
    from app.timefmt import iran_time
    from sync.counter import check_pack as check

    today = iran_time(dt.datetime.now(dt.UTC)).date()  # a pack expires at the end of its day, in Iran
    return Op(lambda: check(ws, scan, drug_code, today=today, offline=offline), lane=Lane.NETWORK)


def dispense(
    ws: Workstation,
    rx_id: str,
    lines: Sequence[DispenseLine],
    *,
    offline: bool,
    ttac_reason: str | None = None,
    payment_id: str = "",
    pos_terminal_id: str = "",
) -> Op[DispenseResult]:
    """Claim (online), check the packs with TTAC, sign (the pharmacist's token and the seal) and queue the
    dispensing of `lines`; sent at once online."""
    from sync.counter import dispense as run

    return Op(
        lambda: run(
            ws,
            ref=rx_id,
            lines=lines,
            offline=offline,
            ttac_reason=ttac_reason,
            payment_id=payment_id,
            pos_terminal_id=pos_terminal_id,
        ),
        lane=Lane.NETWORK,
        changes=lambda r: Changes.of_prescription(r.prescription.id),
    )


def receipt_pdf(ws: Workstation, dispensing_id: str, *, roll: bool, out: Path | None = None) -> Op[Path]:
    """The dispensing's receipt as a PDF (80 mm roll or A5) in `out`, or a new temporary file."""
    from printing.pharmacy import print_receipt

    def work() -> Path:
        path = out or Path(tempfile.mkstemp(prefix=f"receipt-{dispensing_id[-8:]}-", suffix=".pdf")[1])
        print_receipt(ws, dispensing_id, path, roll=roll)
        return path

    return Op(work)


def conflicts(ws: Workstation) -> Op[list[CounterConflict]]:
    """The dispensings that need the pharmacist, with who dispensed first, where and when."""
    from sync.counter import counter_conflicts

    return Op(lambda: counter_conflicts(ws))


def release(ws: Workstation, rx_id: str) -> Op[object]:
    """Give up this pharmacy's claim on a prescription (the patient left without the drugs)."""
    from sync.counter import release_claim

    return Op(lambda: release_claim(ws, rx_id), lane=Lane.NETWORK, changes=Changes.of_prescription(rx_id))


__all__ = [
    "check_pack",
    "conflicts",
    "dispense",
    "kept_prescriptions",
    "open_prescription",
    "preview",
    "receipt_pdf",
    "release",
    "retrieve",
    "scan_paper",
]
