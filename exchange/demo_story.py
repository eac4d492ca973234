"""The steps of `noskhe demo` (see `exchange.demo` for the stage they play on).

Each site is a `Workstation` built as the CLI builds one, and each step calls the use cases the CLI calls:
`write_prescription`, `print_prescription`, `retrieve_prescriptions`, `check_packs`, `dispense`,
`read_paper`, `print_receipt`, `edit_prescription`, `statement`, and the workstation's sync engine.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.domain import Coverage, DispensedPack, Patient, PatientId, Prescription
from app.errors import NoskheError
from app.services.checking import RulesRejected
from app.services.dispensing import DispenseLine, NotDispensable
from app.services.outbox import Outbox
from app.services.prescribing import ItemRequest, cancel_prescription, edit_prescription, write_prescription
from app.services.statements import statement
from printing.paper import print_prescription
from printing.pharmacy import print_receipt, read_paper, read_qr_image
from sync.client import ExchangeRefused
from sync.counter import check_packs, dispense
from sync.retrieve import retrieve_prescriptions

if TYPE_CHECKING:
    from app.workstation import Workstation

ITEMS = (
    [
        ItemRequest("101002", 21, "هر ۸ ساعت یک کپسول، ۷ روز"),
        ItemRequest("103011", 10, "در صورت درد، حداکثر ۳ بار در روز"),
    ],
    [ItemRequest("104064", 30, "روزی یک قرص، عصر")],
    [ItemRequest("105040", 20, "صبح‌ها پس از صبحانه")],
)
#: a lab test and a physiotherapy course ordered beside a drug (sections 7-6, 8-1)
LAB_ORDER = [
    ItemRequest("103011", 10, "در صورت درد، حداکثر ۳ بار در روز"),
    ItemRequest("801010", 1, "ناشتا", service=True),
    ItemRequest("601010", 5, service=True),
]


def scan(pdf: Path, workdir: Path, printed_text: str) -> tuple[list[str], str]:
    """The QR text(s) a pharmacy reads from a paper prescription: the PDF rasterised at 300 dpi
    (`pdftoppm`) and read with `zbarimg`, as from a scanner; without those tools, the text as printed."""
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        return [printed_text], "the printed QR text (pdftoppm/zbarimg not installed)"
    workdir.mkdir(parents=True, exist_ok=True)
    prefix = workdir / pdf.stem
    subprocess.run(
        ["pdftoppm", "-r", "300", "-png", "-singlefile", str(pdf), str(prefix)], check=True, timeout=60
    )
    return read_qr_image(prefix.with_suffix(".png")), "zbarimg, from the PDF rendered at 300 dpi"


def every_line(rx: Prescription, packs: dict[int, str]) -> list[DispenseLine]:
    """Every line of `rx` as prescribed, one pack (its TTAC code from `packs`, by line) each."""
    return [DispenseLine(it.line, packs=(DispensedPack(packs[it.line]),)) for it in rx.items]


def run_story(story: Any, world: Any, devworld: Any, seed: Any, say: Callable[[str], None]) -> None:
    say(f"workspace {world.root}; exchange will listen on {world.url} (down for now)")
    say(f"paper prescriptions and receipts go to {story.out}")
    clinic: Workstation = world.site(devworld.CLINIC)
    patients = [
        Patient(
            PatientId("national-code", p["value"]),
            p["first_name"],
            p["last_name"],
            coverage=Coverage(
                p["coverages"][0].split("-")[0], scheme=p["coverages"][0] if "-" in p["coverages"][0] else ""
            ),
            # as the insurance cards say, typed while the exchange is down: a supplementary plan too
            supplementary=Coverage(p["supplementary"]) if p.get("supplementary") else None,
        )
        for p in seed.demo_patients(3)
    ]
    written: list[Prescription] = []
    papers: dict[str, tuple[Path, Any]] = {}  # prescription id → its PDF and what was printed

    def write() -> tuple[bool, dict[str, Any]]:
        for patient, items in zip(patients, ITEMS):
            written.append(write_prescription(clinic, patient=patient, items=items))
        report = clinic.sync.run()
        for n, rx in enumerate(written, 1):  # as `noskhe rx print`: the QR signed on the GP's token
            pdf = story.file(f"prescription-{n}-{rx.id}.pdf")
            papers[rx.id] = pdf, print_prescription(clinic.store, rx.id, pdf, signer=clinic.user_signer)
        rows = [
            {
                "id": rx.id,
                "patient": str(rx.patient.id),
                "state": rx.state.value,
                "hid": rx.hid,
                "paper": str(papers[rx.id][0]),
                "hid_barcode": papers[rx.id][1].hid_barcode,
                "id_barcode": papers[rx.id][1].id_barcode,
                "qr": f"version {papers[rx.id][1].qr.version}-{papers[rx.id][1].qr.error}, "
                f"{papers[rx.id][1].payload_bytes} bytes",
            }
            for rx in written
        ]
        ok = (
            all(r["state"] == "queued" and r["hid"] is None for r in rows)
            and all(info.hid_pending and info.payload for _, info in papers.values())
            and report.offline
            and report.done == 0
        )
        return ok, {
            "prescriptions": rows,
            "sync": "exchange unreachable: everything stays queued",
            "outbox": Outbox(clinic.store).counts(),
        }

    d = story.step(
        "exchange down: GP writes, signs and prints 3 prescriptions (queued, paper with HID pending)", write
    )
    for r in d["prescriptions"]:
        say(f"    {r['id']}  {r['patient']}  {r['state']}, HID pending")
        say(f"        paper {r['paper']}  (QR {r['qr']}; barcodes {r['hid_barcode']}, {r['id_barcode']})")
    say(f"    sync: {d['sync']}")

    def come_up() -> tuple[bool, dict[str, Any]]:
        world.start_exchange()
        online = clinic.sync.probe()
        report = clinic.sync.run()
        clinic.sync.refresh()  # prices, rules and trust list for what the GP writes next
        rows = [clinic.store.get_prescription(rx.id) for rx in written]
        detail = {
            "online": online,
            "sent": report.done,
            "prescriptions": [
                {
                    "id": r.id,
                    "state": r.state.value,
                    "hid": r.hid,
                    "tracking_code": r.tracking_code,
                    "rule_approval_id": r.rule_approval_id,
                }
                for r in rows
            ],
        }
        return online and all(
            r.state.value == "registered" and r.hid and r.tracking_code for r in rows
        ), detail

    d = story.step("exchange up: clinic syncs (HIDs, tracking codes, rule-approval ids)", come_up)
    for r in d["prescriptions"]:
        say(
            f"    {r['id']}  HID {r['hid']}  tracking {r['tracking_code']}  rule approval {r['rule_approval_id']}"
        )

    def rules_stop_a_signature() -> tuple[bool, dict[str, Any]]:
        patient = patients[2]
        items = [ItemRequest("103042", 10, "در صورت درد شدید"), ItemRequest("108033", 10, "شب‌ها")]
        try:  # as `noskhe rx create …`: eligibility, then the exchange's rules, before the token signs
            write_prescription(clinic, patient=patient, items=items)
            return False, {"error": "an opioid with a benzodiazepine was signed"}
        except RulesRejected as exc:
            refused = exc
        draft = str(refused.details["draft_id"])
        reason = "بیمار تحت نظر متخصص درد است؛ دوز کم و کوتاه‌مدت"
        # as `noskhe rx sign DRAFT --override-reason …`: the rules run again, the reason is signed with it
        rx = write_prescription(clinic, patient=patient, items=items, draft_id=draft, override_reason=reason)
        clinic.sync.run()
        kept = clinic.store.get_prescription(rx.id)
        rules = clinic.store.results.get(f"rx:{rx.id}", "rules") or {}
        ok = (
            refused.details["source"] == "exchange"
            and bool(refused.details["overridable"])
            and rx.id == draft
            and kept.state.value == "registered"
            and kept.override_reason == reason
            and any(f.get("overridden") for f in rules.get("findings", []))
        )
        return ok, {
            "refused": {"en": refused.en, "fa": refused.fa},
            "prescription": rx.id,
            "override_reason": reason,
            "state": kept.state.value,
            "tracking_code": kept.tracking_code,
        }

    d = story.step(
        "GP writes an opioid with a benzodiazepine: the rules stop the signature; signed with a reason",
        rules_stop_a_signature,
    )
    say(f"    refused before signing: {d['refused']['en']}")
    say(f"    signed with the reason «{d['override_reason']}»: {d['prescription']} {d['state']}")

    ph1: Workstation = world.site(devworld.PHARMACY)
    ph2: Workstation = world.site(devworld.PHARMACY_2)
    target = clinic.store.get_prescription(written[0].id)
    national = target.patient.id.value

    def fetch() -> tuple[bool, dict[str, Any]]:
        refreshed = {"pharmacy-1": ph1.sync.refresh(), "pharmacy-2": ph2.sync.refresh()}
        got = [retrieve_prescriptions(ws, key="national-code", value=national) for ws in (ph1, ph2)]
        ids = [[r.id for r in g.prescriptions] for g in got]
        return ids[0] == [target.id] and ids[1] == [target.id], {
            "reference": refreshed,
            "national_code": national,
            "found_by_pharmacy_1": ids[0],
            "found_by_pharmacy_2": ids[1],
        }

    d = story.step("two pharmacies refresh reference data and retrieve by national code", fetch)
    say(f"    reference data: {d['reference']['pharmacy-1']}")
    say(f"    national code {d['national_code']}: both pharmacies see {d['found_by_pharmacy_1']}")
    shelf: dict[int, list[str]] = {}

    def dispense_first() -> tuple[bool, dict[str, Any]]:
        rx = ph1.store.get_prescription(target.id)
        for it in rx.items:
            shelf[it.line] = world.admin(f"/admin/ttac-sample?drug={it.drug_code}&n=2")["codes"]
        checks = check_packs(ph1, [shelf[it.line][0] for it in rx.items] + ["1234567890123456"])
        # as `noskhe dispense TRACKING --line …`: claimed, packs checked with TTAC, signed, sent
        done = dispense(
            ph1, ref=target.tracking_code, lines=every_line(rx, {n: c[0] for n, c in shelf.items()})
        )
        d = done.dispensing
        roll = story.file(f"receipt-{d.id}-roll.pdf")
        printed = print_receipt(ph1, d.id, roll, roll=True)
        ok = (
            done.claimed
            and d.state == "registered"
            and done.sync is not None
            and done.sync.done == 1
            and [c["status"] for c in checks] == ["genuine"] * len(rx.items) + ["unknown"]
        )
        return ok, {
            "claimed": done.claimed,
            "ttac": [{"code": c["code"], "status": c["status"]} for c in checks],
            "dispensing": d.id,
            "state": d.state,
            "receipt": ph1.store.results.get(f"disp:{d.id}", "receipt"),
            "receipt_pdf": str(roll),
            "receipt_reference": printed.reference,
            "cost": d.cost.to_dict(),
        }

    d = story.step(
        "pharmacy 1 claims, checks TTAC codes, dispenses, syncs and prints the receipt", dispense_first
    )
    for c in d["ttac"]:
        say(f"    TTAC {c['code']}: {c['status']}")
    say(f"    dispensing {d['dispensing']}: {d['state']}; cost {d['cost']}")
    say(f"    receipt (80 mm roll) {d['receipt_pdf']}, reference {d['receipt_reference']}")

    def second_pharmacy() -> tuple[bool, dict[str, Any]]:
        rx = ph2.store.get_prescription(target.id)
        lines = every_line(rx, {n: c[1] for n, c in shelf.items()})
        try:  # at the counter, online: the claim is refused at once
            dispense(ph2, ref=target.tracking_code, lines=lines)
            claim_refused: dict[str, Any] = {"refused": False}
        except ExchangeRefused as exc:
            claim_refused = {
                "refused": True,
                "status": exc.status,
                "code": exc.code,
                "en": exc.en,
                "fa": exc.fa,
                "who": exc.details.get("facility_name"),
                "when": exc.details.get("at"),
            }
        # the refusal is remembered: as `noskhe dispense … --offline`, e.g. from its paper, it is refused at
        # once at the counter, before any token or the network is asked
        try:
            dispense(ph2, ref=target.tracking_code, lines=lines, offline=True)
            offline: dict[str, Any] = {"refused": False}
        except NotDispensable as exc:
            offline = {"refused": True, "code": exc.code, "en": exc.en, "fa": exc.fa}
        state_here = ph2.store.get_prescription(target.id).state.value
        queued = ph2.store.outbox.counts()["pending"]
        ok = (
            claim_refused["refused"]
            and claim_refused.get("status") == 409
            and offline["refused"]
            and state_here == "dispensed"
            and queued == 0
        )
        return ok, {"online_claim": claim_refused, "offline": offline, "prescription_state_here": state_here}

    d = story.step(
        "pharmacy 2 tries the same prescription: refused with who and when, then at once at its counter",
        second_pharmacy,
    )
    say(f"    claim at the counter: {d['online_claim']['status']} {d['online_claim']['en']}")
    say(f"    {d['online_claim']['fa']}")
    say(f"    its copy now says {d['prescription_state_here']}; offline: {d['offline'].get('en')}")

    def paper_offline() -> tuple[bool, dict[str, Any]]:
        pdf, printed = papers[written[1].id]
        shelf2 = {
            it.line: world.admin(f"/admin/ttac-sample?drug={it.drug_code}&n=1")["codes"][0]
            for it in written[1].items
        }
        world.admin("/admin/faults", {"outage": True})
        try:
            down = not ph2.sync.probe()
            texts, read_with = scan(pdf, world.root / "scans", printed.payload)
            # as `noskhe dispense --paper-image …`: verified offline, kept, signed and queued
            done = dispense(ph2, paper=lambda: read_paper(ph2, texts), lines=every_line(written[1], shelf2))
            rx, d = done.prescription, done.dispensing
            offline = ph2.sync.run()
            state_offline = ph2.store.get_dispensing(d.id).state
        finally:
            world.admin("/admin/faults", {"outage": False})
        up = ph2.sync.probe()
        report = ph2.sync.run()
        d = ph2.store.get_dispensing(d.id)
        roll = story.file(f"receipt-{d.id}-roll.pdf")
        print_receipt(ph2, d.id, roll, roll=True)
        ok = (
            down
            and done.from_paper
            and rx.id == written[1].id
            and offline.offline
            and state_offline == "queued"
            and up
            and report.done == 1
            and d.state == "registered"
        )
        return ok, {
            "paper": str(pdf),
            "qr_read_with": read_with,
            "verified_offline": {
                "prescription": rx.id,
                "prescriber": rx.prescriber.name,
                "medical_council_number": rx.prescriber.medical_council_number,
                "patient": str(rx.patient.id),
            },
            "dispensing": d.id,
            "state_while_down": state_offline,
            "state_after_sync": d.state,
            "receipt_pdf": str(roll),
        }

    d = story.step(
        "exchange down again: pharmacy 2 verifies a paper QR offline, dispenses from it, queued; "
        "back up, the exchange accepts it",
        paper_offline,
    )
    v = d["verified_offline"]
    say(f"    QR of {d['paper']} read with {d['qr_read_with']}")
    say(
        f"    verified offline: {v['prescription']} by {v['prescriber']} (council {v['medical_council_number']})"
    )
    say(
        f"    dispensing {d['dispensing']}: {d['state_while_down']} while the exchange was down, "
        f"{d['state_after_sync']} after sync"
    )
    say(f"    receipt (80 mm roll) {d['receipt_pdf']}")

    def late_edit() -> tuple[bool, dict[str, Any]]:
        try:
            edit_prescription(clinic, target.id, notes="دوز اصلاح شد")
        except NoskheError as exc:
            return False, {"error": exc.en}
        report = clinic.sync.run()
        rx = clinic.store.get_prescription(target.id)
        attention = clinic.sync.status().attention
        ok = (
            report.conflicts == 1
            and rx.state.value == "dispensed"
            and attention
            and attention[0]["code"] == "already-dispensed"
        )
        return bool(ok), {"state_at_clinic": rx.state.value, "needs_attention": attention}

    d = story.step(
        "GP edits the dispensed prescription: refused by the exchange, shown at the clinic", late_edit
    )
    for item in d["needs_attention"]:
        say(f"    needs attention at the clinic: {item['reason_en']}")

    def partial_line() -> tuple[bool, dict[str, Any]]:
        rx = clinic.store.get_prescription(written[2].id)
        retrieve_prescriptions(ph1, key="national-code", value=rx.patient.id.value)
        item = rx.items[0]
        codes = world.admin(f"/admin/ttac-sample?drug={item.drug_code}&n=2")["codes"]
        first_qty = item.quantity * 3 // 4  # 15 of 20 today: the rest is out of stock
        # as `noskhe dispense TRACKING --line 1:15:CODE`, then later `--line 1::CODE` (what remains)
        first = dispense(
            ph1, ref=rx.tracking_code, lines=[DispenseLine(item.line, first_qty, (DispensedPack(codes[0]),))]
        )
        between = ph1.store.get_prescription(rx.id)
        rest = dispense(
            ph1, ref=rx.tracking_code, lines=[DispenseLine(item.line, packs=(DispensedPack(codes[1]),))]
        )
        after = ph1.store.get_prescription(rx.id)
        status = ph1.client.status(rx.tracking_code or rx.id)
        ok = (
            first.dispensing.state == "registered"
            and between.state.value == "partially_dispensed"
            and rest.dispensing.state == "registered"
            and rest.dispensing.items[0].quantity == item.quantity - first_qty
            and after.state.value == "dispensed"
            and status["state"] == "dispensed"
            and status["dispensedQuantities"] == {str(item.line): item.quantity}
        )
        return ok, {
            "prescription": rx.id,
            "first": f"{between.dispensed_of(item.line)}/{item.quantity}",
            "state_between": between.state.value,
            "later": f"{after.dispensed_of(item.line)}/{item.quantity}",
            "state_after": after.state.value,
            "at_the_exchange": status["state"],
        }

    d = story.step("pharmacy 1 dispenses part of a line, and the remainder later", partial_line)
    say(
        f"    {d['prescription']}: {d['first']} ({d['state_between']}), later {d['later']} ({d['state_after']})"
    )

    def cancelled_paper() -> tuple[bool, dict[str, Any]]:
        rx = write_prescription(clinic, patient=patients[0], items=ITEMS[2])
        clinic.sync.run()
        pdf = story.file(f"prescription-cancelled-{rx.id}.pdf")
        printed = print_prescription(clinic.store, rx.id, pdf, signer=clinic.user_signer)
        retrieve_prescriptions(ph1, key="national-code", value=rx.patient.id.value)
        cancel_prescription(clinic, rx.id)  # the GP cancels it; the patient keeps the paper
        clinic.sync.run()
        pulled = ph1.sync.run().statuses  # the pharmacy's copy follows the exchange's verdict
        state_here = ph1.store.get_prescription(rx.id).state.value
        texts, _ = scan(pdf, world.root / "scans", printed.payload or "")
        code = world.admin(f"/admin/ttac-sample?drug={rx.items[0].drug_code}&n=1")["codes"][0]
        try:  # as `noskhe dispense --paper-image …`: refused at the counter, nothing signed
            dispense(ph1, paper=lambda: read_paper(ph1, texts), lines=every_line(rx, {1: code}))
            refused: dict[str, Any] = {"refused": False}
        except NotDispensable as exc:
            refused = {"refused": True, "code": exc.code, "en": exc.en, "fa": exc.fa}
        ok = refused["refused"] and state_here == "cancelled" and pulled.get("changed", 0) >= 1
        return bool(ok), {"prescription": rx.id, "state_at_pharmacy": state_here, "counter": refused}

    d = story.step("GP cancels a prescription; its paper is refused at the pharmacy counter", cancelled_paper)
    say(f"    {d['prescription']}: {d['state_at_pharmacy']} at the pharmacy; {d['counter'].get('en')}")
    say(f"    {d['counter'].get('fa')}")

    ordered: list[Prescription] = []

    def visit_and_lab_order() -> tuple[bool, dict[str, Any]]:
        from app.services.visits import register_visit

        v = register_visit(clinic, patients[2])  # 9-1-7: the GP's visit, coded and split, signed, queued
        rx = write_prescription(clinic, patient=patients[2], items=LAB_ORDER)  # drugs and a lab test together
        ordered.append(rx)
        report = clinic.sync.run()
        v, rx = clinic.store.visits.get(v.id), clinic.store.get_prescription(rx.id)
        lines = [
            {"line": it.line, "code": it.drug_code, "kind": it.service or "drug", "name": it.drug_name}
            for it in rx.items
        ]
        ok = v.state == "registered" and rx.state.value == "registered" and report.by_op.get("visit") == 1
        return ok, {
            "visit": {"id": v.id, "service": v.service_code, "state": v.state, "tracking_code": v.tracking_code,
                      "cost": v.cost.to_dict()},
            "prescription": rx.id,
            "tracking_code": rx.tracking_code,
            "lines": lines,
        }  # fmt: skip

    d = story.step("GP registers the visit and orders a lab test beside drugs", visit_and_lab_order)
    say(f"    visit {d['visit']['id']} ({d['visit']['service']}): {d['visit']['state']}, tracking"
        f" {d['visit']['tracking_code']}, insurer {d['visit']['cost']['insurer']:,} / patient"
        f" {d['visit']['cost']['patient']:,} rials")  # fmt: skip
    for x in d["lines"]:
        say(f"    {d['prescription']} line {x['line']}: {x['kind']} {x['code']} {x['name']}")

    def lab_result() -> tuple[bool, dict[str, Any]]:
        from app.domain import Observation
        from app.services.council import council_status
        from app.services.visits import register_outcome
        from sync.outcomes import fetch_outcomes

        rx = clinic.store.get_prescription(ordered[0].id)  # registered: its tracking code
        got = retrieve_prescriptions(ph2, key="tracking", value=rx.tracking_code or rx.id)  # the lab's desk
        verdicts = {role: st.to_dict() for role, st in got.certificates.get(rx.id, {}).items()}  # OCSP
        council = council_status(ph2, rx.prescriber.medical_council_number, online=True)  # 8-12
        results = [Observation("Hb", "13.2", "g/dL", "718-7", "12-16"), Observation("WBC", "7100", "/µL")]
        o = register_outcome(ph2, rx.id, "801010", conclusion="طبیعی | normal", observations=results)
        ph2.sync.run()
        seen = fetch_outcomes(clinic, rx.id)  # the GP reads it back (`rx show`, `outcome list --online`)
        ok = (
            ph2.store.visits.get_outcome(o.id).state == "registered"
            and [x["id"] for x in seen] == [o.id]
            and bool(verdicts)
            and all(v["source"] == "ocsp" and v["verdict"] == "good" for v in verdicts.values())
            and council.answer.status == "active"
        )
        return ok, {
            "prescription": rx.id,
            "certificates": verdicts,
            "council": council.to_dict(),
            "council_text": council.describe("en"),
            "outcome": o.id,
            "observations": [x.to_dict() for x in results],
            "seen_by_the_gp": [x["id"] for x in seen],
        }

    d = story.step("a lab checks the GP (council, OCSP) and registers the test's result", lab_result)
    for role, v in d["certificates"].items():
        say(f"    {role} certificate: {v['verdict']} ({v['source']})")
    say(f"    medical council: {d['council_text']}")
    say(f"    outcome {d['outcome']}: " + ", ".join(f"{x['name']} {x['value']} {x.get('unit', '')}".rstrip()
                                             for x in d["observations"]) + "; the GP sees it")  # fmt: skip

    def statements() -> tuple[bool, dict[str, Any]]:
        a, b, c = (statement(ws) for ws in (clinic, ph1, ph2))
        # every dispensing: the split signed and printed on the receipt is the one the exchange claims
        same = [_same_split(ws, st) for ws, st in ((ph1, b), (ph2, c))]
        ok = a.count == 7 and b.count == 3 and c.count == 1 and all(same)  # clinic: 6 prescriptions, a visit
        return ok, {
            "clinic": a.totals(),
            "pharmacy_1": b.totals(),
            "pharmacy_2": c.totals(),
            "receipts_match_the_exchange": all(same),
        }

    d = story.step("financial statements", statements)
    say(f"    clinic {d['clinic']}; pharmacy 1 {d['pharmacy_1']}; pharmacy 2 {d['pharmacy_2']} (rials)")
    if d["receipts_match_the_exchange"]:
        say("    every receipt and signed dispensing shows the exchange's split | سهم‌ها با سامانه یکی است")


def _same_split(ws: Workstation, st: Any) -> bool:
    """Whether each dispensing on the exchange's statement `st` was signed, and is charged on its receipt,
    with the insurer's and the patient's shares the exchange recorded (section 7)."""
    from app.services.checking import dispensing_settlement

    for line in st.lines:
        answers = ws.store.results.for_prescription(line.prescription)
        ids = [
            key.split("/")[0].removeprefix("disp:")
            for key, answer in answers.items()
            if key.endswith("/receipt") and answer.get("receipt") == line.reference
        ]
        if len(ids) != 1:
            return False
        d = ws.store.get_dispensing(ids[0])
        settled = dispensing_settlement(ws.store, d)
        if (d.cost.insurer, d.cost.patient) != (line.insurer, line.patient) or settled.differs:
            return False
    return True
