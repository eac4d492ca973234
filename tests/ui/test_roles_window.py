"""What the window lets each person do, and how it asks for secrets: pages a role may not use close on a
role change or another person's login; refusals come before any dialog; settings that matter need a
manager; a PIN typed with Persian digits is the same PIN on every path."""

from __future__ import annotations

from app.text import to_persian_digits
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
