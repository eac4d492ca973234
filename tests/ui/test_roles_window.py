"""What the window lets each person do, and how it asks for secrets: pages a role may not use close on a
role change or another person's login; refusals come before any dialog; settings that matter need a
manager; a PIN typed with Persian digits is the same PIN on every path."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from app.text import to_persian_digits
from tests.sync import harness
from tests.ui.conftest import UI_PIN


def _settings(window):
    dialog = window.open_settings()
    return dialog


def test_a_persian_digit_pin_after_switching_the_token_in_settings(
    qtbot, token_ws, token_module, open_window
):
    ws = token_ws("ui-gp-1")
    window = open_window(ws)
    dialog = _settings(window)
    dialog.fields["signing.user_token"].setText("ui-gp-2")
    dialog.guard_pass.setText(harness.PASSPHRASE)  # nobody logged in: the facility passphrase
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10000)
    assert ws.setting("signing.user_token") == "ui-gp-2"
    window.login.secret.setText(to_persian_digits(UI_PIN))
    window.login.submit()
    qtbot.waitUntil(lambda: window.session.state == "in" or window.login.error.text() != "", timeout=20000)
    assert window.session.state == "in", window.login.error.text()


def test_every_pin_the_prompter_hands_a_token_has_ascii_digits(qtbot):
    from ui.common.prompter import QtPrompter
    from ui.i18n import Words

    prompter = QtPrompter(Words("fa"))
    for purpose in ("user", "facility"):
        prompter.answer_next(purpose, "۵۵۵۵۵۵")  # typed in a screen with the Persian layout on
        assert prompter.pin("noskhe-pharmacist-2", pin_pad=False, purpose=purpose) == "555555"
    prompter.answer_next("user", "٤٥٦")  # Arabic-Indic digits too
    assert prompter.pin("x", pin_pad=False) == "456"


def _demoted_gp(qtbot, clinic_ws, open_window, logged_in, tokens):
    """The GP logged in as the clinic's manager, then demoted to receptionist by the other manager."""
    from app.services import users
    from exchange import devworld
    from tests.sync import harness
    from ui.common.operations import Changes

    other = "noskhe-gp-suspended"
    other_code = next(i.national_code for i in devworld.IDENTITIES if i.label == other)
    clinic_ws.use_signers(user=harness.signer(tokens, devworld.CLINIC.user_token))
    users.add_user(clinic_ws, other_code, "مدیر دوم آزمایشی", "manager")  # the GP becomes manager first
    clinic_ws.forget_user()
    window = logged_in(open_window(clinic_ws))
    reports = window.desk.reports
    index = window.tabs.indexOf(reports.statement)
    assert window.tabs.isTabVisible(index) and reports.statement.refused() is False
    reports.statement.report = object()  # figures on the page
    qtbot.waitUntil(lambda: reports.dashboard.figures is not None, timeout=15000)
    window.show_page(reports.statement)
    users.set_role(clinic_ws, devworld.GP.national_code, "receptionist")
    window.host.changes.changed.emit(Changes(settings=True))
    return window, reports, index


def test_a_demoted_person_loses_the_money_pages_at_once(
    qtbot, clinic_ws, open_window, logged_in, tokens, monkeypatch
):
    from ui.common.history import COLUMNS
    from ui.common.statements import ClaimsSaveDialog

    window, reports, index = _demoted_gp(qtbot, clinic_ws, open_window, logged_in, tokens)
    assert not window.tabs.isTabVisible(index)
    assert not window.tabs.isTabVisible(window.tabs.indexOf(reports.dashboard))
    assert window.current_page() is not reports.statement
    assert reports.statement.report is None and reports.dashboard.figures is None
    assert reports.history.table.isColumnHidden(COLUMNS.index("rep_col_insurer_share"))
    assert reports.history.table.isColumnHidden(COLUMNS.index("rep_col_patient_share"))
    asked = []
    monkeypatch.setattr(ClaimsSaveDialog, "ask", classmethod(lambda cls, *a, **k: asked.append(a)))
    reports.statement.export(".csv")
    assert asked == [] and reports.statement.error.text()  # refused before any file dialog
    reports.statement.fetch()
    assert reports.statement.report is None


def test_a_refused_shortcut_says_so(qtbot, clinic_ws, open_window, logged_in, tokens):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    window, _reports, _index = _demoted_gp(qtbot, clinic_ws, open_window, logged_in, tokens)
    assert not window.users.audit_action.isVisible()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    QTest.keyClick(
        window, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert "اجازه" in window.statusBar().currentMessage()


def test_settings_that_matter_need_the_passphrase_or_a_manager(qtbot, clinic_ws, open_window, tokens):
    from app.services import users
    from exchange import devworld
    from tests.sync import harness

    window = open_window(clinic_ws)  # nobody logged in, no users list yet
    before = clinic_ws.store.meta("exchange.url") or ""
    dialog = window.open_settings()
    assert dialog.guard_pass.isVisible()
    dialog.fields["exchange.url"].setText("https://attacker.example")
    dialog.save()
    assert (clinic_ws.store.meta("exchange.url") or "") == before and dialog.error.text()
    dialog.guard_pass.setText("not the passphrase")
    dialog.save()
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled() and dialog.error.text() != "", timeout=15000)
    assert (clinic_ws.store.meta("exchange.url") or "") == before
    dialog.guard_pass.setText(harness.PASSPHRASE)
    dialog.save()
    qtbot.waitUntil(lambda: clinic_ws.store.meta("exchange.url") == "https://attacker.example", timeout=15000)

    # once there is a users list, only a logged-in manager
    clinic_ws.use_signers(user=harness.signer(tokens, devworld.CLINIC.user_token))
    other = next(i.national_code for i in devworld.IDENTITIES if i.label == "noskhe-gp-suspended")
    users.add_user(clinic_ws, other, "منشی آزمایشی", "receptionist")
    clinic_ws.forget_user()
    dialog = window.open_settings()
    assert not dialog.guard_pass.isVisible()
    dialog.fields["signing.user_token"].setText("someone-else")
    dialog.save()
    assert clinic_ws.store.meta("signing.user_token") != "someone-else" and "مدیر" in dialog.error.text()
    dialog.fields["signing.user_token"].setText(clinic_ws.store.meta("signing.user_token") or "")
    dialog.lang.setCurrentIndex(dialog.lang.findData("fa"))
    dialog.idle.setValue(7)  # the idle lock is no one's secret
    dialog.save()
    qtbot.waitUntil(lambda: clinic_ws.store.meta("ui.idle_lock_minutes") == "7", timeout=15000)


def test_names_with_parentheses_keep_their_order_in_english(qtbot):
    from ui.i18n import FSI, PDI, Words

    w = Words("en")
    name = "آزمایشی دکتر سارا احمدی (MC-123456)"
    shown = w("user_label", name=w.isolated(name))
    assert shown == f"User: {FSI}{name}{PDI}"  # one unit, right-to-left by its first letter
    fa = Words("fa")
    assert fa("locked_who", name=fa.isolated("احمدی (۰۰۱)"), why="x").startswith(FSI)


def test_spin_boxes_show_persian_digits_in_persian(qtbot):
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QSpinBox

    from ui.i18n import apply_language

    try:
        apply_language("fa")
        box = QSpinBox(maximum=1440)
        qtbot.addWidget(box)
        box.setValue(15)
        assert box.text() == "۱۵"
        box.selectAll()
        QTest.keyClicks(box, "30")  # Latin digits are still taken
        assert box.value() == 30
        apply_language("en")
        assert box.text() == "30"
    finally:
        apply_language("fa")


def test_a_refused_signature_is_audited_and_shifts_name_the_person(qtbot, clinic_ws, tokens):
    import pytest

    from app.services import users
    from exchange import devworld
    from tests.sync import harness
    from ui.common.host import Host
    from ui.common.users import UsersPage
    from ui.i18n import Words

    gp = harness.signer(tokens, devworld.CLINIC.user_token)
    users.start_shift(clinic_ws, gp.identity())  # before there is a users list: a name from the token
    other = next(i.national_code for i in devworld.IDENTITIES if i.label == "noskhe-gp-suspended")
    clinic_ws.use_signers(user=gp)
    users.add_user(clinic_ws, other, "منشی آزمایشی", "receptionist")
    receptionist = harness.signer(tokens, "noskhe-gp-suspended")
    with pytest.raises(users.NotPermitted):
        users.require_signing(clinic_ws, receptionist.identity())
    refused = clinic_ws.store.audit.entries(actions=("sign.refused",), limit=1)
    assert refused and refused[0]["person"] == other and refused[0]["outcome"] == "receptionist"
    page = UsersPage(Host(clinic_ws, Words("fa")))
    qtbot.addWidget(page)
    page.refresh()
    assert gp.identity().name.split()[-1] in page.shifts.item(0, 0).text()
