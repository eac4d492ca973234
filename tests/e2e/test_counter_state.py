"""Inputs and state at the counter (issue 9, points 2, 3, 4, 6, as a tester found them on a fresh clone):
reasons made only of invisible characters, one pack scanned twice, a paper copy that never learnt of its
cancellation, suspended prescribers under an exported trust list, the patient's code at retrieval, and
smaller input messages.

Against a real exchange process on loopback, SQLCipher stores and PKCS#12 signers; the CLI's own handlers
in-process (`noskhe --lang en --data-dir …`), as the tester typed them."""

from __future__ import annotations

import json
import re

import pytest

from app.cli import main
from app.domain import DispensedPack, Dispensing, DispensingItem
from app.services.dispensing import DISPENSING_ROLES, pharmacist_of
from app.services.prescribing import ItemRequest, sign_with, write_prescription
from exchange import devworld, seed
from sync import fhir
from sync.retrieve import retrieve_prescriptions
from tests.sync import harness

ITEMS = [ItemRequest("101002", 21, "هر ۸ ساعت"), ItemRequest("103011", 10, "شب")]
OPIOID_AND_BENZO = ["103042:10:در صورت درد شدید", "108033:10:شب‌ها"]
INVISIBLE = ["\u200c\u200f", "\u200b", "\u200c", " \u2066\u2069 ", "\ufeff\u00ad"]
AS_TYPED = ["\u200c\u200f", "\u200b"]  # the tester's; every one of INVISIBLE in the unit test below


@pytest.fixture
def world(tmp_path, tokens, exchange_process, monkeypatch):
    monkeypatch.setenv("NOSKHE_PASSPHRASE", harness.PASSPHRASE)
    monkeypatch.delenv("NOSKHE_TRUST_LIST", raising=False)
    ex = exchange_process.start()
    sites = harness.three_sites(tmp_path, tokens, ex.url)
    for ws in sites.values():
        ws.sync.refresh()
    yield ex, sites["clinic"], sites["noskhe-pharmacy"]
    for ws in sites.values():
        ws.close()


SITES = {s.user_token: s for s in (devworld.CLINIC, devworld.PHARMACY, devworld.PHARMACY_2)}


def cli(ws, capsys, *argv: str) -> tuple[int, str]:
    """`noskhe --lang en --data-dir <the site's> …` in-process, with the site's PKCS#12 passphrases."""
    site = SITES[ws.store.data_dir.name]
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NOSKHE_USER_P12_PASSPHRASE", devworld.P12_PASSPHRASES[site.user_token])
        env.setenv("NOSKHE_FACILITY_P12_PASSPHRASE", devworld.P12_PASSPHRASES[site.facility_token])
        code = main(["--data-dir", str(ws.store.data_dir), "--lang", "en", *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def registered(clinic, items=ITEMS):
    """A prescription written at the clinic and registered at the exchange."""
    rx = write_prescription(clinic, patient=harness.patients(1)[0], items=list(items))
    assert clinic.sync.run().done >= 1
    return clinic.store.get_prescription(rx.id)


def create_args(*items: str) -> list[str]:
    person = seed.demo_patients(1)[0]["value"]
    args = ["rx", "create", "--patient", person, "--first-name", "a", "--last-name", "b"]
    for it in items:
        args += ["--item", it]
    return args


# ---- 1. reasons made only of invisible characters ------------------------------------------------------


@pytest.mark.parametrize("reason", AS_TYPED)
def test_an_invisible_override_reason_is_refused_at_create_and_sign(world, capsys, reason) -> None:
    _, clinic, _ = world
    code, out = cli(clinic, capsys, *create_args(*OPIOID_AND_BENZO), "--override-reason", reason)
    assert code == 1 and "empty once invisible characters are removed" in out, out
    assert "پس از حذف نویسه‌های نامرئی خالی است" in out
    assert not clinic.store.find_prescriptions(states=("signed", "queued", "registered"))
    # the draft the rules' refusal keeps, signed later with such a reason: refused too
    code, out = cli(clinic, capsys, *create_args(*OPIOID_AND_BENZO))
    assert code == 1, out
    draft = re.search(r"The draft (\S+) was kept", out).group(1)
    code, out = cli(clinic, capsys, "rx", "sign", draft, "--override-reason", reason)
    assert code == 1 and "empty once invisible characters are removed" in out, out
    assert clinic.store.get_prescription(draft).state.value == "draft"


def test_a_visible_reason_keeps_its_half_spaces_and_loses_its_marks(world, capsys) -> None:
    _, clinic, _ = world
    code, out = cli(clinic, capsys, *create_args(*OPIOID_AND_BENZO), "--override-reason", "\u200fمی\u200cرود\u200b", "--json")
    assert code == 0, out
    assert clinic.store.get_prescription(json.loads(out)["id"]).override_reason == "می\u200cرود"


@pytest.mark.parametrize("reason", INVISIBLE)
def test_every_invisible_reason_is_refused_and_a_visible_one_cleaned(reason) -> None:
    from app.errors import NoskheError
    from app.text import clean_free_text, reason_of

    with pytest.raises(NoskheError, match="empty once invisible characters are removed"):
        reason_of(reason, "override reason", "دلیل")
    kept = clean_free_text(f"{reason}بیمار\u200cها{reason}\u202eدرد")
    assert kept.replace(" ", "") == "بیمار\u200cهادرد" and kept == kept.strip()
    assert reason_of(None, "x", "x") is None and reason_of("", "x", "x") is None


def test_the_rules_the_exchange_runs_take_an_invisible_reason_for_none() -> None:
    from app.rules import REJECTION, Finding, RulesResult

    result = RulesResult([Finding(REJECTION, "interaction", "x", "x", overridable=True)], {}, None)
    assert result.override("\u200c\u200f") is result and result.override("\u200b") is result
    assert result.override("تحت نظر متخصص").findings[0].overridden


@pytest.mark.parametrize("reason", ["\u200c"])
def test_an_invisible_reason_for_no_ttac_is_refused_here_and_at_the_exchange(world, capsys, reason) -> None:
    ex, clinic, pharmacy = world
    rx = registered(clinic)
    retrieve_prescriptions(pharmacy, key="tracking", value=rx.tracking_code)
    code, out = cli(pharmacy, capsys, "dispense", rx.tracking_code, "--line", "2:10", "--no-ttac",
                    "--no-ttac-reason", reason)
    assert code == 1 and "empty once invisible characters are removed" in out, out
    assert ex.stats()["dispensings"] == 0
    # another client that sends it anyway, signed: the exchange refuses it as no reason
    item = rx.items[1]
    d = Dispensing(
        prescription_id=rx.id,
        pharmacist=pharmacist_of(pharmacy.user_signer()),
        facility_siam=pharmacy.store.facility_siam,
        items=[DispensingItem(item.line, item.drug_code, 10)],
        hid=rx.hid,
        tracking_code=rx.tracking_code,
        ttac_reason=reason,
    )
    sigs = sign_with(pharmacy.signers(), d.document(), DISPENSING_ROLES)
    reply = pharmacy.client.call(
        "POST", "/dispensings", body=fhir.dispensing_bundle(d, sigs), headers={"Idempotency-Key": d.id}
    )
    assert reply.status == 422 and reply.refusal().code == "ttac-missing", reply.body
    assert ex.stats()["dispensings"] == 0


# ---- 2. one pack scanned twice -------------------------------------------------------------------------


def test_one_pack_twice_is_refused_within_a_line_across_lines_and_at_the_exchange(world, capsys) -> None:
    ex, clinic, pharmacy = world
    rx = registered(clinic, [ItemRequest("101002", 21, "هر ۸ ساعت"), ItemRequest("101002", 10, "شب")])
    retrieve_prescriptions(pharmacy, key="tracking", value=rx.tracking_code)
    (code1,) = ex.ttac_codes("101002", 1)
    code, out = cli(pharmacy, capsys, "dispense", rx.tracking_code, "--line", f"1:5:{code1},{code1}")
    assert code == 1 and f"Pack {code1} is scanned 2 times" in out, out
    code, out = cli(pharmacy, capsys, "dispense", rx.tracking_code, "--line", f"1:5:{code1}",
                    "--line", f"2:5:{code1}")
    assert code == 1 and f"Pack {code1} is scanned 2 times (line 1, 2)" in out, out
    assert ex.stats()["dispensings"] == 0
    # another client that sends it anyway
    item = rx.items[0]
    d = Dispensing(
        prescription_id=rx.id,
        pharmacist=pharmacist_of(pharmacy.user_signer()),
        facility_siam=pharmacy.store.facility_siam,
        items=[DispensingItem(item.line, item.drug_code, 2, (DispensedPack(code1), DispensedPack(code1)))],
        hid=rx.hid,
        tracking_code=rx.tracking_code,
    )
    sigs = sign_with(pharmacy.signers(), d.document(), DISPENSING_ROLES)
    reply = pharmacy.client.call(
        "POST", "/dispensings", body=fhir.dispensing_bundle(d, sigs), headers={"Idempotency-Key": d.id}
    )
    assert reply.status == 422 and reply.refusal().code == "pack-twice", reply.body
    assert ex.stats()["dispensings"] == 0
