"""The pharmacy counter's use cases (`sync.retrieve`, `sync.counter`, `app.services.statements`) on
workstations built as the CLI builds them, against the reference exchange in a thread: what happens in which
order — nothing asked of the exchange before the lines are checked, nothing signed before the claim and the
TTAC checks, offline when the exchange does not answer, a paper verified before any token is asked."""

from __future__ import annotations

import pytest

from app.domain import DispensedPack
from app.errors import NoskheError
from app.services.dispensing import DispenseLine, PackRefused
from app.services.statements import statement
from app.workstation import Workstation
from exchange import devworld
from sync.client import ExchangeRefused
from sync.counter import check_packs, claim, dispense, release_claim
from sync.retrieve import retrieve_prescriptions
from tests.sync import harness


@pytest.fixture
def registered(clinic_ws: Workstation):
    """One prescription written at the clinic and registered at the exchange (two lines)."""
    (rx,) = harness.write_many(clinic_ws, 1)
    assert rx.hid  # eligibility was asked online at admission (9-1 step 2)
    assert clinic_ws.sync.drainer.drain().done == 1
    return clinic_ws.store.get_prescription(rx.id)


@pytest.fixture
def pharmacy(tmp_path, tokens, exchange):
    ws = harness.new_workstation(tmp_path / "pharmacy", devworld.PHARMACY, tokens, exchange.url)
    yield ws
    ws.close()


def _asked_tokens(ws: Workstation) -> list[tuple[str, str]]:
    return [a for a in ws.prompter.asked if a[1] in ("user-p12", "facility-p12") or a[0] == "pin"]  # type: ignore[attr-defined]


def test_retrieve_then_dispense_online_claims_checks_packs_and_sends(pharmacy, registered, exchange) -> None:
    pharmacy.sync.refresh()  # prices to cost the lines with
    got = retrieve_prescriptions(pharmacy, key="tracking", value=registered.tracking_code)
    assert [r.id for r in got.prescriptions] == [registered.id] and got.refused == []
    (code,) = exchange.ttac_codes(registered.items[0].drug_code, 1)
    done = dispense(
        pharmacy,
        ref=registered.tracking_code,
        lines=[DispenseLine(1, packs=(DispensedPack(code),)), DispenseLine(2)],
        ttac_reason="line 2: the label is torn",
    )
    assert done.claimed and done.offline is None and not done.from_paper and not done.needs_attention
    assert [(c["code"], c["status"]) for c in done.packs] == [(code, "genuine")]
    assert done.dispensing.state == "registered" and done.sync is not None and done.sync.done == 1
    assert done.dispensing.pharmacist.licence == "98765"  # named by the pharmacist's certificate
    out = done.to_dict()
    keys = "dispensing prescription state lines quantities ttac ttac_reason cost sync"
    assert list(out) == keys.split()
    assert out["lines"] == [1, 2] and out["cost"]["insurer"] + out["cost"]["patient"] > 0
    assert out["ttac"] == "checked" and out["ttac_reason"] == "line 2: the label is torn"
    assert exchange.stats()["events"]["claimed"] == 1

    st = statement(pharmacy)  # 9-2-9: the dispensing is on the pharmacy's statement
    assert st.kind == "pharmacy" and st.count == 1 and len(st.lines) == 1
    assert (st.insurer, st.patient) == (st.lines[0].insurer, st.lines[0].patient)
    assert st.totals() == st.to_dict()["totals"] and st.lines[0].prescription == registered.id


def test_a_wrong_line_is_refused_before_the_exchange_is_asked(pharmacy, registered, exchange) -> None:
    retrieve_prescriptions(pharmacy, key="tracking", value=registered.tracking_code)
    for lines in ([DispenseLine(9)], []):
        with pytest.raises(NoskheError, match="no line 9|at least one line"):
            dispense(pharmacy, ref=registered.tracking_code, lines=lines)
    assert "claimed" not in exchange.stats()["events"]
    assert pharmacy.store.find_prescriptions()[0].dispensed_lines == []


def test_a_pack_ttac_does_not_vouch_for_is_refused_before_signing(pharmacy, registered, exchange) -> None:
    retrieve_prescriptions(pharmacy, key="tracking", value=registered.tracking_code)
    (other_drug,) = exchange.ttac_codes(registered.items[1].drug_code, 1)
    with pytest.raises(PackRefused) as exc:
        dispense(
            pharmacy,
            ref=registered.tracking_code,
            lines=[DispenseLine(1, packs=(DispensedPack(other_drug),))],
        )
    assert exc.value.details == {"code": other_drug, "status": "genuine"} and "is not drug" in exc.value.en
    assert pharmacy.store.outbox.counts()["pending"] == 0  # nothing signed, nothing queued
    # the claim stays this pharmacy's until it is given up; then it can be given up only once
    assert release_claim(pharmacy, registered.tracking_code).released
    assert not release_claim(pharmacy, registered.id).released
    statuses = [c["status"] for c in check_packs(pharmacy, [other_drug, "1234567890123456"])]
    assert statuses == ["genuine", "unknown"]


def test_a_claim_held_elsewhere_is_refused_at_the_counter(
    pharmacy, registered, tmp_path, tokens, exchange
) -> None:
    with harness.new_workstation(tmp_path / "ph2", devworld.PHARMACY_2, tokens, exchange.url) as other:
        retrieve_prescriptions(other, key="tracking", value=registered.tracking_code)
        claim(other, other.store.get_prescription(registered.id))
    retrieve_prescriptions(pharmacy, key="national-code", value=registered.patient.id.value)
    with pytest.raises(ExchangeRefused) as exc:
        dispense(pharmacy, ref=registered.tracking_code, lines=[DispenseLine(1)], ttac_reason="test")
    assert exc.value.status == 409 and exc.value.details.get("facility_name")
    assert pharmacy.store.get_prescription(registered.id).dispensed_lines == []


def test_exchange_unreachable_dispenses_offline_and_says_why(pharmacy, registered, exchange) -> None:
    retrieve_prescriptions(pharmacy, key="tracking", value=registered.tracking_code)
    exchange.faults(outage=True)  # every call dropped unanswered
    done = dispense(pharmacy, ref=registered.id, lines=[DispenseLine(2)], ttac_reason="test")
    assert done.offline is not None and "did not answer" in done.offline.en
    assert not done.claimed and done.sync is None and done.dispensing.state == "queued"
    assert "sync" not in done.to_dict()
    with pytest.raises(NoskheError, match="already dispensed"):  # here, at once, without the exchange
        dispense(pharmacy, ref=registered.id, lines=[DispenseLine(2)], offline=True, ttac_reason="test")
    with pytest.raises(NoskheError, match="not a date"):  # refused before the exchange is asked
        statement(pharmacy, "2026-13-01")


def test_a_paper_is_verified_before_any_token_is_asked(pharmacy, registered, tokens) -> None:
    from printing.payload import encode, fields_from_prescription, seal
    from printing.pharmacy import import_paper, read_paper

    qr = encode(seal(fields_from_prescription(registered), harness.signer(tokens, "noskhe-gp")))
    with pytest.raises(NoskheError, match="not both"):
        dispense(pharmacy, ref=registered.id, paper=lambda: read_paper(pharmacy, [qr]))
    with pytest.raises(NoskheError, match="Name the prescription"):
        dispense(pharmacy, lines=[DispenseLine(1)])
    with pytest.raises(NoskheError, match="paper prescription"):
        dispense(pharmacy, paper=lambda: read_paper(pharmacy, [qr[:-20]]), all_lines=True)
    assert _asked_tokens(pharmacy) == [] and pharmacy.store.find_prescriptions() == []

    done = dispense(
        pharmacy,
        paper=lambda: read_paper(pharmacy, ["not a QR", qr]),
        all_lines=True,
        ttac_reason="test",
        offline=True,  # online, a paper is claimed first and sent at once (tests/e2e/test_counter_state.py)
    )
    assert done.from_paper and done.dispensing.state == "queued" and done.sync is None and not done.claimed
    assert done.to_dict()["source"] == "paper (verified offline)"
    assert _asked_tokens(pharmacy) == [("passphrase", "user-p12"), ("passphrase", "facility-p12")]
    again = import_paper(pharmacy, [qr])  # kept already: that copy, with what was dispensed from it
    assert again.already_kept and again.prescription.dispensed_lines == [1, 2]
