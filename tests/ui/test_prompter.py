"""The desktop's prompter: each secret in its dialog, the facility seal's PIN too; closing a dialog cancels."""

import pytest

from app.errors import NoskheError
from ui.common.prompter import FacilityPassphraseDialog, KeyPassphraseDialog, PinDialog, QtPrompter
from ui.i18n import Words


@pytest.fixture
def dialogs(monkeypatch):
    """Replaced dialogs: what each was asked, and what it answers (None: the user closed it)."""
    asked: list[tuple[str, object]] = []
    answers = {"pin": "123456", "seal": "seal secret", "key": "key secret"}
    monkeypatch.setattr(
        PinDialog,
        "ask",
        classmethod(lambda cls, label, *a, **k: asked.append(("pin", label)) or answers["pin"]),
    )
    monkeypatch.setattr(
        FacilityPassphraseDialog,
        "ask",
        classmethod(lambda cls, *a, **k: asked.append(("seal", None)) or answers["seal"]),
    )
    monkeypatch.setattr(
        KeyPassphraseDialog,
        "ask",
        classmethod(lambda cls, *a, **k: asked.append(("key", None)) or answers["key"]),
    )
    return asked, answers


def test_each_secret_is_asked_in_its_dialog(dialogs) -> None:
    asked, _ = dialogs
    prompter = QtPrompter(Words("fa"))
    assert prompter.pin("clinic-seal", pin_pad=False, purpose="facility") == "123456"
    assert prompter.pin("gp-token", pin_pad=False, purpose="user") == "123456"
    assert prompter.passphrase("facility-p12") == "seal secret"
    assert prompter.passphrase("user-p12") == "key secret"
    assert asked == [("pin", "clinic-seal"), ("pin", "gp-token"), ("seal", None), ("key", None)]


def test_a_pin_pad_reader_is_left_to_the_reader(dialogs) -> None:
    asked, _ = dialogs
    assert QtPrompter(Words("en")).pin("clinic-seal", pin_pad=True, purpose="facility") is None
    assert asked == []


def test_the_unlock_passphrase_answers_the_next_store_question_only(dialogs, monkeypatch) -> None:
    prompter = QtPrompter(Words("fa"))
    prompter.unlock_with("facility passphrase")
    assert prompter.passphrase("store") == "facility passphrase"
    monkeypatch.setattr(
        "ui.common.prompter._ask_secret", lambda *a: None
    )  # asked again: the user closes the prompt
    with pytest.raises(NoskheError):
        prompter.passphrase("store")


def test_closing_a_dialog_cancels_signing(dialogs) -> None:
    _, answers = dialogs
    answers["pin"] = None
    answers["seal"] = None
    prompter = QtPrompter(Words("fa"))
    with pytest.raises(NoskheError, match="cancelled"):
        prompter.pin("clinic-seal", pin_pad=False, purpose="facility")
    with pytest.raises(NoskheError, match="cancelled"):
        prompter.passphrase("facility-p12")


def test_a_wrong_seal_pin_is_asked_again_with_the_tries_left(
    qtbot, token_ws, token_module, open_window, monkeypatch
):
    """The facility seal on a token: its PIN is asked in a dialog after the login; a wrong one asks again,
    saying how many tries are left."""
    from tests.ui.conftest import UI_PIN
    from ui.common.prompter import PinDialog

    ws = token_ws("ui-gp-6")
    ws.store.set_meta("signing.facility_p12", "")
    ws.store.set_meta("signing.facility_token", "ui-seal")
    asked = []
    answers = iter(["000000", UI_PIN])
    monkeypatch.setattr(
        PinDialog,
        "ask",
        classmethod(
            lambda cls, label, *a, note="", purpose="user", **k: (
                asked.append((purpose, note)) or next(answers)
            )
        ),
    )
    window = open_window(ws)
    window.login.secret.setText(UI_PIN)
    window.login.submit()
    qtbot.waitUntil(lambda: window.session.state == "in", timeout=15000)
    qtbot.waitUntil(lambda: len(asked) == 2, timeout=15000)
    assert asked[0] == ("facility", "") and asked[1][0] == "facility" and "۲ بار دیگر" in asked[1][1]
