"""Users, roles and shifts on the real path: SQLCipher stores, the TEST PKCS#12 identities of
`exchange.devworld`, the CLI run in this process as a clinic's IT person runs it.

- no users list: everything works as before (nothing asked, nothing refused);
- the manager's flow: the first `users add` registers the person logged in as manager; a receptionist or a
  technician may not sign (a prescription, a cancellation, a dispensing's signers), a receptionist may not
  see statements, a deactivated person may do nothing, the last manager stays;
- audit rows name the person whose token is logged in (or say nobody is) and the workstation, from the
  services and from the CLI; the chain still verifies;
- a store of the previous release migrates to schema 5 and its old audit rows still verify.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.audit import NO_PERSON
from app.cli import main
from app.prompter import FixedPrompter
from app.services import users
from app.services.prescribing import write_prescription
from app.services.statements import statement
from app.workstation import Workstation
from exchange import devworld
from tests.sync import harness
from tests.sync.fixtures import clinic_ws, exchange, tokens  # noqa: F401

GP_CODE = devworld.GP.national_code
#: the suspended GP's certificate, used here as a second person of the clinic (a receptionist)
OTHER = "noskhe-gp-suspended"
OTHER_CODE = next(i.national_code for i in devworld.IDENTITIES if i.label == OTHER)
TECH = devworld.PHARMACY_2.user_token  # a second pharmacist's certificate, a technician at PHARMACY
TECH_CODE = next(i.national_code for i in devworld.IDENTITIES if i.label == TECH)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def clinic(tmp_path, tokens):  # noqa: F811
    ws = harness.new_workstation(tmp_path / "clinic", devworld.CLINIC, tokens)
    yield ws
    ws.close()


def as_person(ws: Workstation, tokens, label: str) -> Workstation:  # noqa: F811
    """The same store with `label`'s certificate logged in (another person at the same workstation)."""
    ws.use_signers(user=harness.signer(tokens, label))
    return ws


def _write(ws: Workstation):
    return write_prescription(ws, patient=harness.patients(1)[0], items=list(harness.SAFE_ITEMS[:1]))


def test_without_a_users_list_everything_works_as_before(clinic):
    assert users.roster(clinic) == [] and not users.has_roster(clinic)
    rx = _write(clinic)  # signs: nobody is refused
    assert rx.state.value in ("queued", "signed")
    assert users.may(clinic, users.STATEMENTS) and users.may(clinic, users.USERS)
    rows = clinic.store.audit.entries(limit=50)
    signed = [r for r in rows if r["action"].startswith("prescription.")]
    assert signed and all(r["person"] == GP_CODE for r in signed)
    assert all(r["licence"] == "123456" and r["workstation"] for r in signed)


def test_the_manager_adds_users_and_roles_decide_who_signs(clinic, tokens):  # noqa: F811
    first = users.add_user(clinic, OTHER_CODE, "منشی آزمایشی", "receptionist")
    assert first.role == "receptionist"
    listed = {u.national_code: u for u in users.roster(clinic)}
    assert listed[GP_CODE].role == "manager" and listed[GP_CODE].licence == "123456"  # the GP adding
    assert users.may(clinic, users.USERS)

    as_person(clinic, tokens, OTHER)
    with pytest.raises(users.NotPermitted) as refused:
        _write(clinic)
    assert refused.value.code == "not-permitted"
    assert "receptionist" in refused.value.en and "may not sign prescriptions" in refused.value.en
    assert "منشی" in refused.value.fa and "\n" not in str(refused.value)
    with pytest.raises(users.NotPermitted, match="may not see statements"):
        statement(clinic)  # refused before the exchange (none is configured) is asked
    with pytest.raises(users.NotPermitted, match="manage users"):
        users.set_role(clinic, OTHER_CODE, "physician")  # a receptionist cannot promote herself
    assert not users.may(clinic, users.AUDIT)
    with pytest.raises(users.NotPermitted):
        users.audit_log(clinic)

    as_person(clinic, tokens, devworld.CLINIC.user_token)
    assert users.set_role(clinic, OTHER_CODE, "physician").role == "physician"
    as_person(clinic, tokens, OTHER)
    users.require(clinic, users.SIGN)  # a physician may sign
    as_person(clinic, tokens, devworld.CLINIC.user_token)
    assert users.set_active(clinic, OTHER_CODE, False).active is False
    as_person(clinic, tokens, OTHER)
    with pytest.raises(users.NotPermitted, match="deactivated"):
        clinic.signing_user()

    as_person(clinic, tokens, devworld.CLINIC.user_token)
    with pytest.raises(Exception, match="last active manager"):
        users.set_role(clinic, GP_CODE, "physician")
    with pytest.raises(Exception, match="already a user"):
        users.add_user(clinic, OTHER_CODE, "x", "physician")
    with pytest.raises(Exception, match="Unknown role"):
        users.add_user(clinic, "0012345679", "x", "cashier")  # a pharmacy's role, not a clinic's
    actions = [r["action"] for r in users.audit_log(clinic, limit=20)]
    assert {"user.add", "user.role", "user.active"} <= set(actions)
    assert clinic.store.audit.verify()[1] is None


def test_a_person_not_on_the_list_may_not_sign(clinic, tokens):  # noqa: F811
    users.add_user(clinic, GP_CODE, "Dr Ahmadi", "manager")  # adding oneself first: as manager
    assert [u.role for u in users.roster(clinic)] == ["manager"]
    as_person(clinic, tokens, OTHER)
    with pytest.raises(users.NotPermitted, match="not a user of this facility"):
        clinic.signers()


def test_a_technician_may_not_sign_a_dispensing(tmp_path, tokens):  # noqa: F811
    ws = harness.new_workstation(tmp_path / "pharmacy", devworld.PHARMACY, tokens)
    try:
        users.add_user(ws, TECH_CODE, "تکنسین آزمایشی", "technician")
        assert {u.role for u in users.roster(ws)} == {"manager", "technician"}  # the pharmacist who added
        ws.signers()  # the manager-pharmacist signs
        as_person(ws, tokens, TECH)
        with pytest.raises(users.NotPermitted, match="technician, may not sign dispensings"):
            ws.signing_user()  # what the counter signs a dispensing with (sync.counter)
        with pytest.raises(users.NotPermitted, match="may not see statements"):
            users.require(ws, users.STATEMENTS)
        as_person(ws, tokens, devworld.PHARMACY.user_token)
        users.set_role(ws, TECH_CODE, "cashier")
        as_person(ws, tokens, TECH)
        users.require(ws, users.STATEMENTS)  # a cashier sees statements, and still may not sign
        with pytest.raises(users.NotPermitted, match="cashier"):
            ws.signing_user()
    finally:
        ws.close()


def test_a_technician_is_refused_at_the_counter_before_anything_is_written(tmp_path, tokens, exchange, clinic_ws):  # noqa: F811
    from app.services.dispensing import DispenseLine
    from sync.counter import dispense
    from sync.retrieve import retrieve_prescriptions

    (rx,) = harness.write_many(clinic_ws, 1)
    assert clinic_ws.sync.drainer.drain().done == 1
    rx = clinic_ws.store.get_prescription(rx.id)
    ws = harness.new_workstation(tmp_path / "pharmacy", devworld.PHARMACY, tokens, exchange.url)
    try:
        retrieve_prescriptions(ws, key="tracking", value=rx.tracking_code)
        users.add_user(ws, TECH_CODE, "تکنسین آزمایشی", "technician")  # the pharmacist becomes manager
        as_person(ws, tokens, TECH)
        with pytest.raises(users.NotPermitted) as refused:
            dispense(ws, ref=rx.id, lines=[DispenseLine(1)], offline=True, ttac_reason="test")
        assert "may not sign dispensings" in refused.value.en and "تکنسین" in refused.value.fa
        as_person(ws, tokens, devworld.PHARMACY.user_token)
        done = dispense(ws, ref=rx.id, lines=[DispenseLine(1)], offline=True, ttac_reason="test")
        assert done.dispensing.state == "queued"  # the line was left whole by the refusal
        saved = [r for r in ws.store.audit.entries(limit=100) if r["action"].startswith("dispensing.")]
        assert saved and {r["person"] for r in saved} == {
            next(i.national_code for i in devworld.IDENTITIES if i.label == devworld.PHARMACY.user_token)
        }
    finally:
        ws.close()


def test_rows_say_when_nobody_is_logged_in_and_shifts_pair_up(clinic, tokens):  # noqa: F811
    clinic.forget_user()
    rx = _write(clinic)  # logs the GP in on the way
    clinic.forget_user()
    clinic.store.get_prescription(rx.id)  # a read with nobody logged in
    read = clinic.store.audit.entries(limit=1)[0]
    assert read["action"] == "prescription.read" and read["person"] == NO_PERSON
    who = harness.signer(tokens, devworld.CLINIC.user_token).identity()
    users.start_shift(clinic, who)
    users.end_shift(clinic, who, "idle")
    users.start_shift(clinic, who)
    (open_, closed) = users.shifts(clinic)[:2]
    assert open_.ended_at is None and closed.ended_by == "idle" and closed.national_code == GP_CODE
    assert clinic.store.audit.verify()[1] is None


def _cli(tmp_path, monkeypatch, capsys, *argv: str) -> tuple[int, str]:
    monkeypatch.setenv("NOSKHE_PASSPHRASE", harness.PASSPHRASE)
    monkeypatch.setenv("NOSKHE_USER_P12_PASSPHRASE", devworld.P12_PASSPHRASES[devworld.CLINIC.user_token])
    monkeypatch.delenv("NOSKHE_TRUST_LIST", raising=False)
    code = main(["--data-dir", str(tmp_path / "clinic"), "--lang", "en", *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_the_cli_manages_users_and_its_audit_rows_name_the_person(clinic, tmp_path, monkeypatch, capsys):
    rx = _write(clinic)
    clinic.close()
    code, out = _cli(tmp_path, monkeypatch, capsys, "rx", "show", rx.id)  # a read: no token logged in
    assert code == 0, out
    code, out = _cli(tmp_path, monkeypatch, capsys, "audit", "show", "--limit", "1")
    assert code == 0 and "prescription.read" in out and "no person logged in" in out
    code, out = _cli(tmp_path, monkeypatch, capsys, "users", "list")
    assert code == 0 and "No users list yet" in out
    code, out = _cli(
        tmp_path,
        monkeypatch,
        capsys,
        "users",
        "add",
        "۰" + OTHER_CODE[1:],
        "--name",
        "Receptionist",
        "--role",
        "receptionist",
    )
    assert code == 0, out
    code, out = _cli(tmp_path, monkeypatch, capsys, "users", "list", "--json")
    listed = {u["national_code"]: u["role"] for u in json.loads(out)}
    assert listed == {GP_CODE: "manager", OTHER_CODE: "receptionist"}
    code, out = _cli(tmp_path, monkeypatch, capsys, "users", "set-role", OTHER_CODE, "nurse")
    assert code == 1 and "Unknown role" in out and "Traceback" not in out
    code, out = _cli(tmp_path, monkeypatch, capsys, "users", "deactivate", GP_CODE)
    assert code == 1 and "last active manager" in out
    code, out = _cli(tmp_path, monkeypatch, capsys, "audit", "show", "--limit", "5")
    assert code == 0 and f"{GP_CODE}/123456" in out and "user.add" in out
    code, out = _cli(tmp_path, monkeypatch, capsys, "audit", "verify")
    assert code == 0 and "intact" in out


def test_a_store_of_the_previous_release_migrates_and_its_old_rows_verify(tmp_path, tokens):  # noqa: F811
    release = max(p for p in FIXTURES.glob("store-v*") if (p / "manifest.json").exists())
    copy = tmp_path / release.name
    shutil.copytree(release, copy)
    passphrase = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))["passphrase"]
    prompter = FixedPrompter(
        passphrases={"store": passphrase, "user-p12": devworld.P12_PASSPHRASES[devworld.CLINIC.user_token]}
    )
    with Workstation.open(copy / "clinic", prompter, trust_list_path=tokens.trust_list) as ws:
        old, problem = ws.store.audit.verify()
        assert problem is None and old > 0
        assert users.roster(ws) == []  # no list yet: works as before
        ws.store.set_meta("signing.user_p12", str(tokens.p12(devworld.CLINIC.user_token)))
        users.add_user(ws, OTHER_CODE, "Receptionist", "receptionist")
        assert {u.national_code: u.role for u in users.roster(ws)} == {
            GP_CODE: "manager",
            OTHER_CODE: "receptionist",
        }
        count, problem = ws.store.audit.verify()
        assert problem is None and count > old
        rows = ws.store.audit.entries(limit=count)
        assert rows[-1]["person"] is None and rows[0]["person"] == GP_CODE  # old rows named nobody
