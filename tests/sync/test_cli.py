"""The CLI faces of the sync engine: rx, dispense and sync commands, in-process, with key-file signers."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from exchange import devworld
from tests.sync import harness


@pytest.fixture
def sites(tmp_path, tokens, exchange, monkeypatch):
    monkeypatch.setenv("NOSKHE_PASSPHRASE", harness.PASSPHRASE)
    monkeypatch.delenv("NOSKHE_TRUST_LIST", raising=False)
    monkeypatch.delenv("NOSKHE_EXCHANGE_URL", raising=False)
    dirs = {}
    for ws in (devworld.CLINIC, devworld.PHARMACY, devworld.PHARMACY_2):
        harness.new_store(tmp_path / ws.user_token, ws, tokens).close()
        dirs[ws.user_token] = str(tmp_path / ws.user_token)
    return dirs


def run(
    capsys, data_dir: str, *argv: str, env: dict[str, str] | None = None, monkeypatch=None
) -> tuple[int, str]:
    for k, v in (env or {}).items():
        monkeypatch.setenv(k, v)
    code = main(["--data-dir", data_dir, "--lang", "en", *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def configure(capsys, monkeypatch, tokens, exchange, data_dir: str, user: str, seal: str) -> None:
    code, _ = run(
        capsys,
        data_dir,
        "sync",
        "config",
        "--exchange",
        exchange.url,
        "--user-p12",
        str(tokens.p12(user)),
        "--facility-p12",
        str(tokens.p12(seal)),
    )
    assert code == 0


def as_site(monkeypatch, user: str, seal: str) -> None:
    monkeypatch.setenv("NOSKHE_USER_P12_PASSPHRASE", devworld.P12_PASSPHRASES[user])
    monkeypatch.setenv("NOSKHE_FACILITY_P12_PASSPHRASE", devworld.P12_PASSPHRASES[seal])


def test_the_whole_flow_from_the_command_line(capsys, monkeypatch, tokens, exchange, sites) -> None:
    clinic, ph1, ph2 = sites["noskhe-gp"], sites["noskhe-pharmacist"], sites["noskhe-pharmacist-2"]
    for d, ws in ((clinic, devworld.CLINIC), (ph1, devworld.PHARMACY), (ph2, devworld.PHARMACY_2)):
        configure(capsys, monkeypatch, tokens, exchange, d, ws.user_token, ws.facility_token)
    patient = harness.patients(1)[0]

    as_site(monkeypatch, "noskhe-gp", "noskhe-clinic")
    code, out = run(
        capsys,
        clinic,
        "rx",
        "create",
        "--patient",
        patient.id.value,
        "--first-name",
        "مریم",
        "--last-name",
        "احمدی",
        "--item",
        "101002:21:هر ۸ ساعت",
        "--item",
        "103011:10:شب",
        "--json",
    )
    assert code == 0, out
    created = json.loads(out)
    # online: eligibility answered at admission (the HID), the exchange's rules and split before signing
    assert created["state"] == "queued" and created["hid"] and created["eligibility"]["status"] == "confirmed"
    assert created["rules"]["source"] == "exchange" and created["cost"]["basis"] == "exchange"
    code, out = run(capsys, clinic, "sync", "status", "--json")
    assert json.loads(out)["counts"]["pending"] == 1
    code, out = run(capsys, clinic, "sync", "run", "--batch", "1", "--json")  # one by one
    assert code == 0 and json.loads(out)["done"] == 1
    code, out = run(capsys, clinic, "rx", "show", created["id"], "--json")
    shown = json.loads(out)
    tracking = shown["tracking_code"]
    assert shown["state"] == "registered" and tracking and shown["hid"]
    assert {r["op"] for r in shown["outbox"]} == {"register"}
    code, out = run(capsys, clinic, "rx", "list")
    assert created["id"] in out and "registered" in out

    as_site(monkeypatch, "noskhe-pharmacist", "noskhe-pharmacy")
    assert run(capsys, ph1, "sync", "refresh")[0] == 0
    code, out = run(capsys, ph1, "rx", "retrieve", "--national-code", patient.id.value, "--json")
    assert [r["id"] for r in json.loads(out)["prescriptions"]] == [created["id"]]
    codes = exchange.ttac_codes("101002", 1)
    torn = ("--no-ttac-reason", "line 2: label torn")
    code, out = run(
        capsys, ph1, "dispense", tracking, "--line", f"1:21:{codes[0]}", "--line", "2", "--json", *torn
    )
    assert code == 0, out
    assert json.loads(out)["state"] == "registered"

    as_site(monkeypatch, "noskhe-pharmacist-2", "noskhe-pharmacy-2")
    run(capsys, ph2, "rx", "retrieve", "--tracking", tracking, "--patient", patient.id.value)  # already dispensed: nothing open
    code, out = run(capsys, ph2, "dispense", tracking, "--all")
    assert code == 1 and "No prescription" in out

    as_site(monkeypatch, "noskhe-gp", "noskhe-clinic")
    code, out = run(capsys, clinic, "rx", "edit", created["id"], "--notes", "اصلاح")
    assert code == 0
    code, out = run(capsys, clinic, "sync", "run")
    assert "conflicts 1" in out
    code, out = run(capsys, clinic, "rx", "show", created["id"])
    assert "dispensed" in out and "Edit refused" in out
    code, out = run(capsys, clinic, "sync", "attention", "--json")
    (item,) = json.loads(out)
    assert item["code"] == "already-dispensed"
    assert run(capsys, clinic, "sync", "ack", item["id"])[0] == 0
    code, out = run(capsys, clinic, "sync", "statement", "--json")
    assert json.loads(out)["totals"]["count"] == 1


def test_a_pharmacy_told_at_the_counter_who_holds_the_claim(
    tmp_path, capsys, monkeypatch, tokens, exchange, sites
) -> None:
    for d, ws in (
        (sites["noskhe-pharmacist"], devworld.PHARMACY),
        (sites["noskhe-pharmacist-2"], devworld.PHARMACY_2),
    ):
        configure(capsys, monkeypatch, tokens, exchange, d, ws.user_token, ws.facility_token)
    ws = harness.new_workstation(tmp_path / "gp-2", devworld.CLINIC, tokens, exchange.url)
    (rx,) = harness.write_many(ws, 1)
    from sync.drain import Drainer

    Drainer(ws.store, ws.client).drain()
    tracking = ws.store.get_prescription(rx.id).tracking_code
    ws.close()
    as_site(monkeypatch, "noskhe-pharmacist", "noskhe-pharmacy")
    run(capsys, sites["noskhe-pharmacist"], "rx", "retrieve", "--tracking", tracking, "--patient", rx.patient.id.value)
    as_site(monkeypatch, "noskhe-pharmacist-2", "noskhe-pharmacy-2")
    run(capsys, sites["noskhe-pharmacist-2"], "rx", "retrieve", "--tracking", tracking, "--patient", rx.patient.id.value)
    as_site(monkeypatch, "noskhe-pharmacist", "noskhe-pharmacy")
    no_codes = ("--no-ttac-reason", "packs not scanned in this test")
    code, out = run(capsys, sites["noskhe-pharmacist"], "dispense", tracking, "--line", "1", *no_codes)
    assert code == 0, out
    as_site(monkeypatch, "noskhe-pharmacist-2", "noskhe-pharmacy-2")
    code, out = run(capsys, sites["noskhe-pharmacist-2"], "dispense", tracking, "--line", "2", *no_codes)
    assert code == 1 and "is dispensing it" in out  # one line, who and since when
    code, out = run(
        capsys, sites["noskhe-pharmacist-2"], "dispense", tracking, "--line", "1", "--offline", *no_codes
    )
    assert code == 0 and "queued" in out
    code, out = run(capsys, sites["noskhe-pharmacist-2"], "sync", "run")
    assert "conflicts 1" in out


def test_commands_without_configuration_fail_in_one_line(capsys, monkeypatch, sites) -> None:
    code, out = run(capsys, sites["noskhe-gp"], "sync", "run")
    assert code == 1 and out.count("\n") == 1 and "No facility seal" in out
    code, out = run(capsys, sites["noskhe-gp"], "rx", "show", "NOPE")
    assert code == 1 and "No prescription" in out
    code, out = run(capsys, sites["noskhe-gp"], "sync", "status")
    assert code == 0 and "never connected" in out


def test_a_paper_prescription_is_kept_dispensed_offline_and_settled_later(
    tmp_path, capsys, monkeypatch, tokens, exchange, sites
) -> None:
    from printing.payload import encode, fields_from_prescription, seal
    from sync.drain import Drainer

    gp = harness.new_workstation(tmp_path / "gp-paper", devworld.CLINIC, tokens, exchange.url)
    (rx,) = harness.write_many(gp, 1)
    qr = encode(seal(fields_from_prescription(rx), gp.user_signer()))
    ph = sites["noskhe-pharmacist"]
    configure(capsys, monkeypatch, tokens, exchange, ph, "noskhe-pharmacist", "noskhe-pharmacy")
    as_site(monkeypatch, "noskhe-pharmacist", "noskhe-pharmacy")
    code, out = run(  # verified, kept, queued
        capsys, ph, "dispense", "--paper", qr, "--all", "--json", "--no-ttac-reason", "packs not scanned"
    )
    assert code == 0 and json.loads(out)["state"] == "queued" and json.loads(out)["prescription"] == rx.id
    code, out = run(capsys, ph, "sync", "run", "--json")  # the GP has not synced yet: the dispensing waits
    assert json.loads(out)["remaining"] == 1 and json.loads(out)["rejected"] == 0
    Drainer(gp.store, gp.client).drain()
    gp.close()
    from app.services.outbox import Outbox
    from app.store import Store

    with Store.open(ph, harness.PASSPHRASE) as s:
        Outbox(s).due_now()
    code, out = run(capsys, ph, "sync", "run", "--json")
    assert json.loads(out)["done"] == 1
    code, out = run(capsys, ph, "rx", "show", rx.id, "--json")
    assert json.loads(out)["state"] == "dispensed"
    code, out = run(capsys, ph, "rx", "import-paper", qr, "--json")  # kept already: that copy stays
    assert code == 0 and json.loads(out)["id"] == rx.id and json.loads(out)["state"] == "dispensed"
    code, out = run(capsys, ph, "rx", "import-paper", "not a QR")
    assert code == 1 and out.count("\n") == 1


def test_a_draft_left_by_a_failed_signature_is_signed_with_rx_sign(
    capsys, monkeypatch, tokens, exchange, sites
) -> None:
    from app.errors import NoskheError
    from app.services.prescribing import ItemRequest, write_prescription
    from app.signing import SignatureRole
    from app.store import Store

    clinic = sites["noskhe-gp"]
    configure(capsys, monkeypatch, tokens, exchange, clinic, "noskhe-gp", "noskhe-clinic")

    class PulledOut:
        def __init__(self, role):
            self.role = role

        def sign(self, data):
            raise NoskheError("token removed", "توکن جدا شد")

    with Store.open(clinic, harness.PASSPHRASE) as store:
        broken = [PulledOut(SignatureRole.PRESCRIBER), PulledOut(SignatureRole.FACILITY)]
        with pytest.raises(NoskheError) as exc:
            write_prescription(
                harness.workstation_over(store, *broken),
                patient=harness.patients(1)[0],
                prescriber=devworld.GP,
                items=[ItemRequest("101002", 10, "هر ۸ ساعت")],
            )
        draft = exc.value.details["draft_id"]

    as_site(monkeypatch, "noskhe-gp", "noskhe-clinic")
    code, out = run(capsys, clinic, "rx", "sign", draft, "--json")
    assert code == 0, out
    assert json.loads(out)["state"] == "queued"
    code, out = run(capsys, clinic, "rx", "sign", draft)
    assert code == 1 and "Cannot sign a prescription that is queued" in out and "Traceback" not in out


def test_rx_check_asks_the_rules_before_signing_and_saves_nothing(
    capsys, monkeypatch, tokens, exchange, sites
) -> None:
    from app.store import Store

    clinic = sites["noskhe-gp"]
    configure(capsys, monkeypatch, tokens, exchange, clinic, "noskhe-gp", "noskhe-clinic")
    as_site(monkeypatch, "noskhe-gp", "noskhe-clinic")
    patient = harness.patients(1)[0].id.value
    args = ("--patient", patient, "--first-name", "مریم", "--last-name", "احمدی")

    code, out = run(capsys, clinic, "rx", "check", *args, "--item", "101002:21:هر ۸ ساعت")
    assert code == 0, out
    assert "insurer" in out and "Traceback" not in out

    code, out = run(
        capsys, clinic, "rx", "check", *args, "--item", "104064:30", "--item", "103011:600", "--json"
    )
    assert code == 1
    answer = json.loads(out[: out.rindex("}") + 1])
    assert ("quantity", "rejection", 2) in {
        (f["code"], f["level"], f.get("line")) for f in answer["findings"]
    }
    assert "would reject" in out

    exchange.stop()  # offline: a local estimate, never an error
    code, out = run(capsys, clinic, "rx", "check", *args, "--item", "101002:21")
    assert code == 0 and "local estimate" in out
    with Store.open(clinic, harness.PASSPHRASE) as store:
        assert store.find_prescriptions() == []
