"""SEPAS (section 8-5): the reference exchange forwards every registered prescription version, cancellation
and dispensing to its SEPAS store, and a workstation sees what SEPAS holds for a patient from its own
facility — workstations built as the CLI builds them, against the exchange on loopback."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from app.domain import DispensedPack
from app.errors import InvalidIdentifier
from app.services.dispensing import DispenseLine
from app.services.prescribing import ItemRequest, cancel_prescription, edit_prescription
from app.services.sepas import sepas_records
from app.workstation import Workstation
from exchange import devworld
from sync.counter import dispense
from sync.retrieve import retrieve_prescriptions
from tests.sync import harness


@pytest.fixture
def pharmacy(tmp_path, tokens, exchange):
    ws = harness.new_workstation(tmp_path / "pharmacy", devworld.PHARMACY, tokens, exchange.url)
    yield ws
    ws.close()


def _sent(ws: Workstation) -> None:
    report = ws.sync.drainer.drain()
    assert report.done and report.remaining == 0 and not report.rejected and not report.conflicts


def test_sepas_holds_each_version_and_the_dispensing_each_facility_sees_its_own(
    clinic_ws: Workstation, pharmacy: Workstation, exchange
) -> None:
    rx, other = harness.write_many(clinic_ws, 2)
    _sent(clinic_ws)
    patient = rx.patient.id.value
    edit_prescription(clinic_ws, rx.id, items=[ItemRequest("101002", 14, "هر ۸ ساعت یک کپسول")])
    cancel_prescription(clinic_ws, other.id)
    _sent(clinic_ws)

    view = sepas_records(clinic_ws, patient)
    assert view.patient == f"national-code:{patient}" and view.facility == devworld.CLINIC.siam
    assert [(r.kind, r.subject, r.version) for r in view.records] == [
        ("prescription", rx.id, 1),
        ("prescription", rx.id, 2),
    ]
    first, second = view.records
    registered = clinic_ws.store.get_prescription(rx.id)
    assert first.reference == registered.tracking_code and first.author == devworld.GP.medical_council_number
    assert [(i.line, i.code, i.quantity) for i in second.items] == [(1, "101002", 14)]
    assert first.occurred_at <= first.received_at
    cancelled = sepas_records(clinic_ws, other.patient.id.value).records
    assert [r.kind for r in cancelled] == ["prescription", "cancellation"]
    assert cancelled[1].prescription == other.id

    pharmacy.sync.refresh()
    retrieve_prescriptions(pharmacy, key="tracking", value=registered.tracking_code)
    (code,) = exchange.ttac_codes("101002", 1)
    done = dispense(
        pharmacy, ref=registered.tracking_code, lines=[DispenseLine(1, packs=(DispensedPack(code),))]
    )
    assert done.dispensing.state == "registered"
    (held,) = sepas_records(pharmacy, patient).records  # the pharmacy sees its dispensing only
    assert (held.kind, held.subject, held.prescription) == ("dispensing", done.dispensing.id, rx.id)
    assert held.author == "98765" and held.facility == devworld.PHARMACY.siam and held.reference
    assert [(i.line, i.code, i.quantity) for i in held.items] == [(1, "101002", 14)]
    assert len(sepas_records(clinic_ws, patient).records) == 2  # and the clinic its own


def test_each_event_reaches_sepas_once(clinic_ws: Workstation, exchange) -> None:
    from exchange.sepas import Sepas

    (rx,) = harness.write_many(clinic_ws, 1)
    clinic_ws.sync.drainer.drain()
    store = Sepas(exchange.server.db)
    assert store.forward() == 0  # already forwarded when the registration was answered
    assert len(sepas_records(clinic_ws, rx.patient.id.value).records) == 1
    count = exchange.server.db.one("SELECT count(*) FROM sepas_records")[0]
    assert count == 1


def test_a_mistyped_patient_id_is_refused_before_the_network(clinic_ws: Workstation, exchange) -> None:
    with pytest.raises(InvalidIdentifier):
        sepas_records(clinic_ws, "0012345678")  # wrong check digit
    assert "registered" not in exchange.stats()["events"]


def test_sepas_show_from_the_command_line(clinic_ws: Workstation, exchange, capsys, monkeypatch) -> None:
    (rx,) = harness.write_many(clinic_ws, 1)
    clinic_ws.sync.drainer.drain()
    tracking = clinic_ws.store.get_prescription(rx.id).tracking_code
    data_dir = str(clinic_ws.store.data_dir)
    clinic_ws.close()
    monkeypatch.setenv("NOSKHE_PASSPHRASE", harness.PASSPHRASE)
    monkeypatch.setenv("NOSKHE_USER_P12_PASSPHRASE", devworld.P12_PASSPHRASES["noskhe-gp"])
    monkeypatch.setenv("NOSKHE_FACILITY_P12_PASSPHRASE", devworld.P12_PASSPHRASES["noskhe-clinic"])
    patient = rx.patient.id.value
    assert main(["--data-dir", data_dir, "--lang", "en", "sepas", "show", "--patient", patient]) == 0
    out = capsys.readouterr().out
    assert f"SEPAS holds 1 record(s) for national-code:{patient}" in out
    assert f"prescription {rx.id} v1" in out and f"tracking {tracking}" in out
    assert main(["--data-dir", data_dir, "sepas", "show", "--patient", patient, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [r["subject"] for r in doc["records"]] == [rx.id] and doc["records"][0]["items"]
