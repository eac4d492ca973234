"""The insurance and clinical rules before signing and before dispensing (issue 9, point 2; 9-1-4, 9-2-5, 9-2-6).

One corpus of prescriptions is judged by the workstation's local engine (on the rule set, prices and plans it
fetched), by the exchange's rules module imported here, and by the exchange process on loopback: the same
findings and the same split. Then, through the CLI on real stores and the exchange process: a rejection stops
`rx create` before the token signs, online and offline; an overridable one passes with `--override-reason`,
which is signed, registered and seen by a pharmacy; the rule-approval ids issued at registration travel with
the dispensing, and a dispensing carrying other ids is refused."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from app.cli import main
from app.domain import (
    IRAN_TZ,
    Coverage,
    DispensedPack,
    Patient,
    PatientId,
    Prescription,
    PrescriptionItem,
    Sex,
)
from app.rules import RulesResult
from app.services.checking import Offline, Verdict, local_prescription_rules
from app.services.dispensing import DispenseLine, record_dispensing
from app.services.outbox import Outbox
from app.services.prescribing import ItemRequest, price_items
from exchange import devworld, seed
from sync.drain import Backoff
from sync.retrieve import retrieve_prescriptions
from tests.sync import harness

AT = dt.datetime(2026, 11, 20, 10, 30, tzinfo=IRAN_TZ)
OPIOID_AND_BENZO = ["103042:10:در صورت درد شدید", "108033:10:شب‌ها"]


def patient(
    code: str = "0012345679",
    *,
    plan: str | None = "SSO",
    extra: str | None = None,
    born: dt.date | None = None,
    sex: Sex | None = None,
) -> Patient:
    cov = Coverage(plan.split("-")[0], scheme=plan if "-" in plan else "") if plan else None
    return Patient(
        PatientId("national-code", code),
        "مریم",
        "احمدی",
        birth_date=born,
        sex=sex,
        coverage=cov,
        supplementary=Coverage(extra) if extra else None,
    )


def years_ago(n: int) -> dt.date:
    return AT.date().replace(year=AT.year - n)


#: (name, patient, items as typed, override reason)
CORPUS = [
    ("safe", patient(), ["101002:21", "103011:10"], None),
    ("quantity warning", patient(), ["103011:150"], None),
    ("quantity rejection", patient(), ["101002:600"], "the patient travels"),
    ("duplicate therapy", patient(), ["101002:21", "101003:10"], None),
    ("interaction warning", patient(), ["104064:30", "103011:10"], None),
    ("interaction rejection", patient(), OPIOID_AND_BENZO, None),
    ("interaction overridden", patient(), OPIOID_AND_BENZO, "under a pain specialist's care"),
    ("duration", patient(), ["108033:10/60", "101002:21/7"], None),
    ("duration overridden", patient(), ["108033:10/60"], "tapering off slowly"),
    ("child and tetracycline", patient(born=years_ago(5)), ["101063:10"], None),
    ("child and aspirin", patient(born=years_ago(10)), ["103040:10"], None),
    ("teenager and quinolone", patient(born=years_ago(15)), ["101071:14"], None),
    ("contraceptive for a man", patient(sex=Sex.MALE), ["110001:21"], "asked for it"),
    ("androgen for a woman", patient(sex=Sex.FEMALE), ["110024:1"], None),
    ("not covered", patient(plan="IHIO"), ["110029:4", "101002:21"], None),
    ("specialist only", patient(), ["110034:10"], None),
    (
        "too many items",
        patient(),
        [
            f"{c}:5"
            for c in (101002, 103011, 105040, 101071, 104064, 103040, 101010, 101063, 103015, 103022, 103026)
        ],
        None,
    ),
    ("rural scheme", patient(plan="IHIO-RUR"), ["101002:21", "105040:20"], None),
    ("supplementary plan", patient(plan="IKRF", extra="SUPP-T"), ["101002:21", "111031:1"], None),
    ("uninsured", patient(plan=None), ["101002:21"], None),
    ("unknown drug", patient(), ["101002:21", "999999:3"], None),
]


def _prescription(store, p: Patient, items: list[str], reason: str | None) -> Prescription:
    known, lines = [], []
    for text in items:
        req = ItemRequest.parse(text)
        if store.catalog.get(req.drug_code) is None:  # a code no catalog knows: the rules refuse it
            lines.append(
                PrescriptionItem(
                    req.drug_code, req.drug_code, req.quantity, "", line=len(known) + len(lines) + 1
                )
            )
        else:
            known.append(req)
    priced = price_items(store, p, known) + lines
    rx = Prescription(p, devworld.GP, store.facility_siam, priced, prescribed_at=AT)
    rx.override_reason = reason or ""
    return rx


@pytest.fixture
def clinic(tmp_path, tokens, exchange_process):
    ex = exchange_process.start()
    ws = harness.new_workstation(
        tmp_path / "clinic", devworld.CLINIC, tokens, ex.url, engine_options={"backoff": Backoff(0.01, 0.05)}
    )
    ws.sync.refresh()  # the exchange's rule set, prices and plans, as a clinic keeps them
    yield ex, ws
    ws.close()


def test_one_corpus_the_same_findings_locally_in_the_exchange_module_and_at_the_exchange(
    clinic, tmp_path
) -> None:
    from exchange import rules as exchange_rules
    from exchange.db import ExchangeDB

    _, ws = clinic
    db = ExchangeDB(tmp_path / "reference-exchange.db")
    seed.seed(db)
    seen = set()
    for name, p, items, reason in CORPUS:
        rx = _prescription(ws.store, p, items, reason)
        local = local_prescription_rules(ws.store, rx).override(reason).to_dict()
        module = exchange_rules.check_prescription(db, rx).to_dict()
        remote = ws.national.prescription_rules(rx).to_dict()
        assert local == module == remote, name
        seen |= {(f["code"], f["level"], bool(f.get("overridden"))) for f in local["findings"]}
        assert local["total"]["insurer"] + local["total"]["patient"] > 0 or name == "unknown drug", name
    # the corpus covers every kind of rule, overridden rejections too
    assert {c for c, _, _ in seen} >= {
        "quantity",
        "duplicate-therapy",
        "interaction",
        "duration",
        "age",
        "sex",
        "not-covered",
        "specialist-only",
        "too-many-items",
        "unknown-drug",
        "controlled",
    }
    assert ("interaction", "rejection", True) in seen and ("duration", "rejection", True) in seen
    assert ("sex", "rejection", False) in seen  # not overridable: the reason changes nothing


# ---- through the command line ------------------------------------------------------------------------------


def run(capsys, data_dir: str, *argv: str) -> tuple[int, str]:
    code = main(["--data-dir", data_dir, "--lang", "en", *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture
def cli(tmp_path, tokens, exchange_process, monkeypatch, capsys):
    ex = exchange_process.start()
    monkeypatch.setenv("NOSKHE_PASSPHRASE", harness.PASSPHRASE)
    for var in ("NOSKHE_TRUST_LIST", "NOSKHE_EXCHANGE_URL"):
        monkeypatch.delenv(var, raising=False)
    dirs = {}
    for site in (devworld.CLINIC, devworld.PHARMACY):
        d = str(tmp_path / site.user_token)
        harness.new_store(tmp_path / site.user_token, site, tokens).close()
        code, _ = run(
            capsys,
            d,
            "sync",
            "config",
            "--exchange",
            ex.url,
            "--user-p12",
            str(tokens.p12(site.user_token)),
            "--facility-p12",
            str(tokens.p12(site.facility_token)),
        )
        assert code == 0
        dirs[site.role] = d

    def as_site(site) -> None:
        monkeypatch.setenv("NOSKHE_USER_P12_PASSPHRASE", devworld.P12_PASSPHRASES[site.user_token])
        monkeypatch.setenv("NOSKHE_FACILITY_P12_PASSPHRASE", devworld.P12_PASSPHRASES[site.facility_token])

    return ex, dirs, as_site


def _create(capsys, clinic: str, code: str, items: list[str], *extra: str) -> tuple[int, str]:
    args = ["rx", "create", "--patient", code, "--first-name", "علی", "--last-name", "رضایی"]
    for it in items:
        args += ["--item", it]
    return run(capsys, clinic, *args, *extra)


def test_a_rejection_stops_rx_create_before_signing_and_a_reason_travels_with_it(cli, capsys) -> None:
    from app.store import Store

    ex, dirs, as_site = cli
    clinic = dirs["clinic"]
    as_site(devworld.CLINIC)
    person = seed.demo_patients(1)[0]["value"]

    code, out = _create(capsys, clinic, person, OPIOID_AND_BENZO)
    assert code == 1 and "--override-reason" in out and "benzodiazepine" in out and "Traceback" not in out
    code, out = run(capsys, clinic, "sync", "status", "--json")
    assert json.loads(out)["counts"]["pending"] == 0  # nothing signed, nothing queued
    code, out = run(
        capsys,
        clinic,
        "rx",
        "check",
        "--patient",
        person,
        "--item",
        OPIOID_AND_BENZO[0],
        "--item",
        OPIOID_AND_BENZO[1],
        "--override-reason",
        "specialist's care",
    )
    assert code == 0 and "(overridden)" in out

    reason = "بیمار تحت نظر متخصص درد است"
    code, out = _create(capsys, clinic, person, OPIOID_AND_BENZO, "--override-reason", reason, "--json")
    assert code == 0, out
    created = json.loads(out)
    assert created["override_reason"] == reason and created["rules"]["source"] == "exchange"
    assert any(f.get("overridden") and f["code"] == "interaction" for f in created["rules"]["findings"])
    assert created["cost"]["basis"] == "exchange" and created["eligibility"]["status"] == "confirmed"
    code, out = run(capsys, clinic, "sync", "run", "--json")
    assert json.loads(out)["done"] == 1  # the exchange accepted it with the reason
    with Store.open(clinic, harness.PASSPHRASE) as store:
        rx = store.get_prescription(created["id"])
        assert rx.state.value == "registered" and rx.override_reason == reason
        assert rx.rule_approval_id and all(it.rule_approval_id for it in rx.items)  # kept per line too

    # the pharmacy retrieves it with the reason (it travels in the signed prescription) and its rule ids
    as_site(devworld.PHARMACY)
    code, out = run(capsys, dirs["pharmacy"], "rx", "retrieve", "--tracking", rx.tracking_code, "--patient", rx.patient.id.value)
    assert code == 0 and created["id"] in out
    with Store.open(dirs["pharmacy"], harness.PASSPHRASE) as store:
        kept = store.get_prescription(created["id"])
        assert kept.override_reason == reason and kept.rule_approval_id == rx.rule_approval_id
        assert [it.rule_approval_id for it in kept.items] == [it.rule_approval_id for it in rx.items]

    # a rejection the rules do not let a reason override stays a refusal
    as_site(devworld.CLINIC)
    man = next(p for p in seed.persons() if p["kind"] == "national-code" and p["sex"] == "male")["value"]
    code, out = _create(capsys, clinic, man, ["110001:21"], "--sex", "male", "--override-reason", "asked")
    assert code == 1 and "change it" in out

    # offline, the local engine on the cached rule set refuses the same way, and takes the same reason
    with harness.exchange_down(ex):
        code, out = _create(capsys, clinic, person, OPIOID_AND_BENZO)
        assert code == 1 and "--override-reason" in out
        code, out = _create(capsys, clinic, person, OPIOID_AND_BENZO, "--override-reason", reason)
        assert code == 0 and "local rules (offline)" in out and "(estimate)" in out and "pending" in out


def _pack(ex, rx: Prescription, line: int) -> tuple[DispensedPack, ...]:
    drug = next(it.drug_code for it in rx.items if it.line == line)
    return (DispensedPack(ex.ttac_codes(drug, 1)[0]),)


def test_rule_approval_ids_travel_with_the_dispensing_and_others_are_refused(
    clinic, tmp_path, tokens
) -> None:
    ex, ws = clinic
    (rx,) = harness.write_many(ws, 1)
    ws.sync.drainer.drain()
    rx = ws.store.get_prescription(rx.id)
    assert rx.rule_approval_id and all(it.rule_approval_id for it in rx.items)
    ph = harness.new_workstation(tmp_path / "ph", devworld.PHARMACY, tokens, ex.url)
    try:
        ph.sync.refresh()
        retrieve_prescriptions(ph, key="tracking", value=rx.tracking_code)
        pharmacist = devworld.PHARMACISTS["noskhe-pharmacist"]
        d = record_dispensing(
            ph.store,
            rx.id,
            pharmacist=pharmacist,
            lines=[DispenseLine(1, packs=_pack(ex, rx, 1))],
            signers=ph.signers(),
        )
        assert (
            d.rule_approval_id == rx.rule_approval_id
            and d.items[0].rule_approval_id == rx.items[0].rule_approval_id
        )
        assert ph.sync.run().done == 1
        receipt = ph.store.results.get(f"disp:{d.id}", "receipt")
        assert receipt["ruleApprovalId"] == rx.rule_approval_id
        assert receipt["itemRuleApprovalIds"]["1"] == rx.items[0].rule_approval_id

        def forged(rx_: Prescription, d_: object) -> Verdict:  # ids the exchange never issued
            return Verdict(
                RulesResult([]), False, rule_approval_id="5999999999", item_rule_approval_ids={2: "59"}
            )

        other = record_dispensing(
            ph.store,
            rx.id,
            pharmacist=pharmacist,
            lines=[DispenseLine(2, packs=_pack(ex, rx, 2))],
            signers=ph.signers(),
            rules=forged,
        )
        assert ph.sync.run().rejected == 1
        (row,) = Outbox(ph.store).attention()
        assert row.reason_code == "rule-approval-mismatch" and row.subject == f"disp:{other.id}"
    finally:
        ph.close()


def test_the_exchange_unreachable_is_offline_not_an_error(clinic) -> None:
    ex, ws = clinic
    rx = _prescription(ws.store, patient(), OPIOID_AND_BENZO, None)
    with harness.exchange_down(ex), pytest.raises(Offline):
        ws.national.prescription_rules(rx)
    with pytest.raises(Offline):  # found unreachable a moment ago: not asked again while someone waits
        ws.national.prescription_rules(rx)
    ws.sync.probe()
    assert ws.national.prescription_rules(rx).rejected
