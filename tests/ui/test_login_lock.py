"""Login and lock with a real SoftHSM2 token: the PIN on the login screen, the person from the certificate
in the title bar, wrong PINs saying how many tries are left, the idle lock, the lock when the token is
pulled out, an unlock that needs the PIN again — and nothing typed lost on the way."""

import pytest

from app.errors import NoskheError
from tests.ui.conftest import UI_PIN
from tests.ui.test_editor import fill

GP = "آزمایشی دکتر سارا احمدی"


def log_in(qtbot, window, pin=UI_PIN):
    window.login.secret.setText(pin)
    window.login.submit()
    qtbot.waitUntil(lambda: not window.session.busy, timeout=15000)


def test_login_with_the_token_names_the_gp_and_a_wrong_pin_says_tries_left(
    qtbot, token_ws, token_module, open_window
):
    window = open_window(token_ws("ui-gp-1"))
    assert window.stack.currentWidget() is window.login
    assert "ui-gp-1" in window.login.prompt.text()
    assert GP not in window.windowTitle()
    log_in(qtbot, window, pin="000000")
    assert window.session.state == "out"
    error = window.login.error.text()
    assert "رمز نادرست" in error and "۲ بار دیگر" in error  # Noskhe's own count: 2 of 3 tries left
    assert window.login.secret.text() == ""  # a PIN is not kept, not even in the field
    log_in(qtbot, window, pin="۲۴۶۸۱۰")  # typed with the Persian layout on: the same PIN
    assert window.session.state == "in" and window.stack.currentWidget() is window.tabs
    assert GP in window.windowTitle() and GP in window.user_label.text()
    qtbot.waitUntil(lambda: window.session.seal_open, timeout=15000)


def test_idle_lock_hides_the_work_keeps_it_and_unlock_needs_the_pin(
    qtbot, token_ws, token_module, open_window
):
    ws = token_ws("ui-gp-2")
    window = open_window(ws)
    log_in(qtbot, window)
    qtbot.waitUntil(lambda: window.session.seal_open, timeout=15000)
    editor = window.desk.new_prescription()
    fill(qtbot, editor)
    editor.notes.setText("یادداشت نیمه‌کاره")
    editor.notes.setFocus()
    window.session.set_idle_minutes(0.5 / 60)  # half a second without a key or a click
    qtbot.waitUntil(lambda: window.session.state == "locked", timeout=5000)
    assert window.session.reason == "idle" and window.stack.currentWidget() is window.login
    assert "قفل" in window.login.title.text() and GP in window.login.who.text()
    # Every signature needs a logged-in token: the user's signer refuses, and the token is logged out.
    with pytest.raises(NoskheError):
        ws.user_signer().sign(b"anything")
    qtbot.waitUntil(lambda: token_module[0].sessions()[0].state.value == "locked", timeout=5000)
    log_in(qtbot, window, pin="999999")
    assert window.session.state == "locked" and "رمز نادرست" in window.login.error.text()
    log_in(qtbot, window)
    assert window.session.state == "in" and window.stack.currentWidget() is window.tabs
    # nothing typed was lost
    assert window.current_page() is editor
    assert editor.patient.patient_code.text() == "۰۰۱۲۳۴۵۶۷۹" and editor.items.rowCount() == 1
    assert editor.notes.text() == "یادداشت نیمه‌کاره"
    editor.sign()
    qtbot.waitUntil(lambda: editor.prescription is not None, timeout=15000)
    assert editor.prescription.state.value == "queued"


def test_pulling_the_token_out_locks_at_once(qtbot, token_ws, token_module, open_window):
    _module, faults = token_module
    window = open_window(token_ws("ui-gp-3"))
    window.session.set_idle_minutes(0)  # never idle: only the removal locks
    log_in(qtbot, window)
    qtbot.waitUntil(lambda: window.session.seal_open, timeout=15000)
    editor = window.desk.new_prescription()
    fill(qtbot, editor)
    faults.hidden.add("ui-gp-3")  # the token is pulled out
    qtbot.waitUntil(lambda: window.session.state == "locked", timeout=5000)
    assert window.session.reason == "removed" and "توکن جدا شد" in window.login.who.text()
    log_in(qtbot, window)  # not back yet: the PIN cannot help
    assert window.session.state == "locked" and window.login.error.text()
    faults.hidden.discard("ui-gp-3")
    log_in(qtbot, window)
    assert window.session.state == "in" and editor.items.rowCount() == 1


def test_the_lock_hides_other_windows_and_brings_them_back(qtbot, token_ws, token_module, open_window):
    window = open_window(token_ws("ui-gp-4"))
    log_in(qtbot, window)
    qtbot.waitUntil(lambda: window.session.seal_open, timeout=15000)
    settings = window.open_settings()
    settings.setWindowModality(settings.windowModality().NonModal)
    settings.show()
    window.lock_action.trigger()
    assert window.session.state == "locked" and not settings.isVisible()
    log_in(qtbot, window)
    assert settings.isVisible()
    settings.reject()
