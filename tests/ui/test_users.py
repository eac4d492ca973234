"""Users, shifts and the audit log in the window (offscreen, real SQLCipher store, the TEST PKCS#12
identities): the GP logs in on an existing store (no users list: the pages are offered), adds a
receptionist and so becomes the manager; the shift is recorded and ended by the lock; the audit view names
the person logged in (Jalali, Tehran time) and says when nobody was; a receptionist logging in is not
offered the manager's pages and her signature is refused by the service."""

from __future__ import annotations

import pytest

from app.audit import NO_PERSON
from app.services import users
from exchange import devworld
from tests.sync import harness

GP_CODE = devworld.GP.national_code
OTHER = "noskhe-gp-suspended"
OTHER_CODE = next(i.national_code for i in devworld.IDENTITIES if i.label == OTHER)


def _add(qtbot, page, code, name, role):
    page.code.setText(code)
    page.name.setText(name)
    page.role.setCurrentIndex(page.role.findData(role))
    page.add_button.click()
    qtbot.waitUntil(lambda: page.message.text() != "", timeout=10000)


def test_the_manager_adds_a_user_sees_shifts_and_the_audit_log(qtbot, clinic_ws, open_window, logged_in):
    window = logged_in(open_window(clinic_ws))
    assert window.users.users_action.isVisible() and window.users.audit_action.isVisible()  # no list yet
    page = window.users.open_users()
    assert "هنوز فهرست کاربران نیست" in page.note.text()
    qtbot.waitUntil(lambda: page.shifts.rowCount() == 1, timeout=10000)  # the GP's shift, open
    assert page.shifts.item(0, 2).text() == "باز"

    _add(qtbot, page, OTHER_CODE, "منشی آزمایشی", "receptionist")
    assert "افزوده شد" in page.message.text(), page.message.text()
    qtbot.waitUntil(lambda: page.table.rowCount() == 2, timeout=10000)
    roles = {u.national_code: u.role for u in users.roster(clinic_ws)}
    assert roles == {GP_CODE: "manager", OTHER_CODE: "receptionist"}
    qtbot.waitUntil(lambda: "مدیر" in window.user_label.text(), timeout=10000)  # the role, in the status bar
    texts = [page.table.item(r, 2).text() for r in range(2)]
    assert sorted(texts) == sorted(["مدیر", "منشی"])

    _add(qtbot, page, "0012345679", "", "physician")  # no name: the service's one-line refusal
    assert page.message.text() == "نام کاربر لازم است."

    audit = window.users.open_audit()
    qtbot.waitUntil(lambda: any(r["action"] == "user.add" for r in audit.rows), timeout=10000)
    added = next(r for r in audit.rows if r["action"] == "user.add")
    assert added["person"] == GP_CODE and added["licence"] == "123456" and added["workstation"]
    row = audit.rows.index(added)
    assert "۰۰۱۲۳۴۵۶۷۹" in audit.table.item(row, 1).text()  # the manager, Persian digits
    assert "۱۴۰" in audit.table.item(row, 0).text()  # a Jalali year
    audit.verify_button.click()
    qtbot.waitUntil(lambda: "سالم" in audit.status.text(), timeout=10000)

    window.session.lock("manual")
    qtbot.waitUntil(lambda: any(s.ended_by == "manual" for s in users.shifts(clinic_ws)), timeout=10000)
    clinic_ws.store.audit.record("prescription.list")  # a read while locked names nobody
    assert clinic_ws.store.audit.entries(limit=1)[0]["person"] == NO_PERSON
    ended = users.shifts(clinic_ws)[0]
    assert ended.national_code == GP_CODE and ended.ended_at is not None


def test_a_receptionist_is_not_offered_the_managers_pages_and_may_not_sign(
    qtbot, clinic_ws, open_window, logged_in, tokens, monkeypatch
):
    clinic_ws.use_signers(user=harness.signer(tokens, devworld.CLINIC.user_token))
    users.add_user(clinic_ws, OTHER_CODE, "منشی آزمایشی", "receptionist")
    clinic_ws.forget_user()
    # The receptionist's own key file on this workstation.
    clinic_ws.store.set_meta("signing.user_p12", str(tokens.p12(OTHER)))
    from ui.common.prompter import KeyPassphraseDialog

    secret = devworld.P12_PASSPHRASES[OTHER]
    monkeypatch.setattr(KeyPassphraseDialog, "ask", classmethod(lambda cls, *a, **k: secret))
    window = logged_in(open_window(clinic_ws), secret=secret)
    assert not window.users.users_action.isVisible() and not window.users.audit_action.isVisible()
    with pytest.raises(users.NotPermitted, match="receptionist"):
        clinic_ws.signing_user()
    assert users.logged_in(clinic_ws).national_code == OTHER_CODE
    qtbot.waitUntil(
        lambda: bool(clinic_ws.store.audit.entries(actions=("shift.start",), limit=1)), timeout=10000
    )
    started = clinic_ws.store.audit.entries(actions=("shift.start",), limit=1)
    assert started[0]["person"] == OTHER_CODE


def test_log_out_ends_the_shift_and_another_person_may_take_a_locked_window(
    qtbot, clinic_ws, open_window, logged_in
):
    window = logged_in(open_window(clinic_ws))
    qtbot.waitUntil(lambda: len(users.shifts(clinic_ws)) == 1, timeout=10000)
    window.users.log_out_action.trigger()
    assert window.session.state == "out" and window.stack.currentWidget() is window.login
    qtbot.waitUntil(lambda: users.shifts(clinic_ws)[0].ended_by == "logout", timeout=10000)
    with pytest.raises(Exception, match="locked"):
        clinic_ws.user_signer().sign(b"x")  # signing needs a login again
    assert users.logged_in(clinic_ws) is None

    logged_in(window)  # the next shift
    qtbot.waitUntil(lambda: users.shifts(clinic_ws)[0].ended_at is None, timeout=10000)
    window.session.lock("idle")
    assert window.login.switch_button.isVisible()
    window.login.switch_button.click()  # another person at the locked window
    assert window.session.state == "out" and not window.login.switch_button.isVisible()
    qtbot.waitUntil(
        lambda: [s.ended_by for s in users.shifts(clinic_ws)][:2] == ["idle", "logout"], timeout=10000
    )


def test_each_person_logs_in_with_the_token_inserted(qtbot, token_ws, token_module, open_window):
    from tests.ui.conftest import UI_PIN

    ws = token_ws("ui-gp-5")
    ws.store.set_meta("signing.user_token", "*")  # whoever's token is in
    _module, faults = token_module
    for label in ("ui-gp-1", "ui-gp-2", "ui-gp-3", "ui-gp-4", "ui-gp-6", "ui-seal"):
        faults.hidden.add(label)
    window = open_window(ws)
    assert "توکن خود" in window.login.prompt.text()
    faults.hidden.discard("ui-gp-6")  # two personal tokens in: which one is unclear
    window.login.secret.setText(UI_PIN)
    window.login.submit()
    qtbot.waitUntil(lambda: not window.session.busy, timeout=15000)
    assert window.session.state == "out" and "چند توکن" in window.login.error.text()
    faults.hidden.add("ui-gp-6")
    window.login.secret.setText(UI_PIN)
    window.login.submit()
    qtbot.waitUntil(lambda: window.session.state == "in", timeout=15000)
    assert users.logged_in(ws).national_code == GP_CODE
