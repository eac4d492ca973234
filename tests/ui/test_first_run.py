"""The first-run wizard (`ui.common.first_run`), offscreen: every page filled, the workstation created with
what was chosen; a bad SIAM id holds Next with the reason; the connection test answers from a background
thread (a real exchange on loopback: success; a closed port or a server that never answers: failure) while
the event loop keeps turning.

The tokens are read from SoftHSM2 through `smartcard.tokens` in a child process: SoftHSM2 reads its
configuration once per process, and other test packages load it in this one with theirs.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWizard

from app.prompter import FixedPrompter
from app.store.db import DB_NAME, KEY_NAME
from app.workstation import Workstation
from exchange import devworld
from ui.common.first_run import (
    SOFTHSM_MODULE,
    FirstRunWizard,
    ModuleChoice,
    detect_modules,
    needs_first_run,
    probe_exchange,
)
from ui.i18n import Words

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "first run passphrase"


@pytest.fixture
def token_lister(tokens):  # the session's TEST tokens (tests/sync/fixtures)
    """`token_labels` run in a child process over the TEST tokens' SoftHSM2 configuration."""

    def list_tokens(path: str) -> list[str]:
        code = "import json, sys; from ui.common.first_run import token_labels; print(json.dumps(token_labels(sys.argv[1])))"
        env = {**os.environ, **tokens.env(), "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
        done = subprocess.run(
            [sys.executable, "-c", code, path],
            check=False,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode:
            raise RuntimeError(done.stderr[-500:])
        return list(json.loads(done.stdout))

    return list_tokens


@pytest.fixture
def wizard(qtbot, tmp_path, monkeypatch):
    """`wizard(**options)`: the wizard over an empty data directory, shown; English words."""
    from ui.main import setup_application

    for name in ("NOSKHE_EXCHANGE_CA", "NOSKHE_PKCS11_MODULE", "NOSKHE_TOKEN_LABEL"):
        monkeypatch.delenv(name, raising=False)
    made: list[FirstRunWizard] = []

    def make(**options) -> FirstRunWizard:
        setup_application("en")
        options.setdefault("modules", [ModuleChoice("softhsm", SOFTHSM_MODULE)])
        options.setdefault("list_tokens", lambda path: [])
        w = FirstRunWizard(tmp_path / "data", Words("en"), **options)
        qtbot.addWidget(w)
        w.show()
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


def _next(w: FirstRunWizard) -> None:
    button = w.button(QWizard.WizardButton.NextButton)
    assert button.isEnabled(), w.currentPage().title()
    button.click()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_first_run_only_in_an_empty_data_directory(tmp_path) -> None:
    assert needs_first_run(tmp_path / "nothing-yet")
    assert needs_first_run(tmp_path)
    (tmp_path / KEY_NAME).write_text("{}")
    assert not needs_first_run(tmp_path)  # a key file alone is for the unlock dialog to report


def test_modules_found_on_the_system(tmp_path, monkeypatch) -> None:
    vendor = tmp_path / "lib" / "libacme-pkcs11.so"
    vendor.parent.mkdir()
    vendor.write_bytes(b"\x7fELF")
    (tmp_path / "lib" / "pkcs11-spy.so").write_bytes(b"\x7fELF")
    (tmp_path / "lib" / "libother.so").write_bytes(b"\x7fELF")
    (tmp_path / "opensc-pkcs11.so").write_bytes(b"\x7fELF")
    found = detect_modules(
        [str(tmp_path / "lib"), str(tmp_path)],
        softhsm=str(tmp_path / "absent.so"),
        opensc=str(tmp_path / "opensc-pkcs11.so"),
    )
    assert found == [
        ModuleChoice("opensc", str(tmp_path / "opensc-pkcs11.so")),
        ModuleChoice("vendor", str(vendor)),
    ]
    monkeypatch.setenv("NOSKHE_PKCS11_MODULE", str(vendor))  # named by the clinic's IT person: first
    assert detect_modules(
        [str(tmp_path)], softhsm=str(tmp_path / "absent.so"), opensc=str(tmp_path / "opensc-pkcs11.so")
    )[0] == ModuleChoice("vendor", str(vendor))
    monkeypatch.delenv("NOSKHE_PKCS11_MODULE")
    if os.path.isfile(SOFTHSM_MODULE):  # the test tokens are offered, but last
        assert detect_modules()[-1] == ModuleChoice("softhsm", SOFTHSM_MODULE)


def test_every_page_filled_and_the_workstation_is_created_with_those_settings(
    qtbot, wizard, tmp_path, exchange, token_lister
) -> None:
    w = wizard(list_tokens=token_lister)
    page = w.facility
    page.role.setCurrentIndex(page.role.findData("pharmacy"))
    page.siam.insert("۲۰۰۰۰۰۰۲")  # typed in Persian digits (keyClicks takes ASCII only)
    page.name.setText("داروخانه نمونه")
    assert page.error.isHidden()
    _next(w)

    tokens_page = w.tokens
    assert w.currentPage() is tokens_page
    qtbot.waitUntil(lambda: not tokens_page.busy and bool(tokens_page.labels), timeout=30_000)
    assert devworld.PHARMACY.user_token in tokens_page.labels
    tokens_page.user_token.setCurrentText(devworld.PHARMACY.user_token)
    tokens_page.facility_token.setCurrentText(devworld.PHARMACY.facility_token)
    _next(w)

    pw = w.passphrase
    qtbot.keyClicks(pw.first, PASSPHRASE)
    qtbot.keyClicks(pw.second, PASSPHRASE[:-1])
    assert not w.button(QWizard.WizardButton.NextButton).isEnabled()
    assert "differ" in pw.error.text()
    qtbot.keyClicks(pw.second, PASSPHRASE[-1])
    _next(w)

    ex = w.exchange
    qtbot.keyClicks(ex.url, exchange.url)
    ex.test_button.click()
    qtbot.waitUntil(lambda: ex.outcome is not None, timeout=10_000)
    assert ex.outcome is True and "answered" in ex.result.text()

    finish = w.button(QWizard.WizardButton.FinishButton)
    assert finish.isVisible() and finish.isEnabled()
    with qtbot.waitSignal(w.created, timeout=60_000):
        finish.click()
    assert w.result() == QWizard.DialogCode.Accepted
    ws = w.workstation
    assert ws is not None
    try:
        assert (ws.role, ws.facility_siam) == ("pharmacy", "20000002")
        assert ws.store.facility().name == "داروخانه نمونه"
    finally:
        ws.close()

    data = tmp_path / "data"
    assert (data / DB_NAME).exists() and (data / KEY_NAME).exists()
    with Workstation.open(data, FixedPrompter(passphrases={"store": PASSPHRASE})) as again:
        meta = again.store.meta
        assert meta("exchange.url") == exchange.url
        assert meta("signing.user_token") == devworld.PHARMACY.user_token
        assert meta("signing.facility_token") == devworld.PHARMACY.facility_token
        assert meta("smartcard.module") == SOFTHSM_MODULE
    assert not w.passphrase.first.text()  # the passphrase is not kept in the widgets


def test_a_bad_siam_id_holds_next_with_the_reason(qtbot, wizard) -> None:
    w = wizard()
    next_button = w.button(QWizard.WizardButton.NextButton)
    assert not next_button.isEnabled()  # nothing typed yet, nothing scolded
    assert w.facility.error.isHidden()
    qtbot.keyClicks(w.facility.siam, "1234")
    assert not next_button.isEnabled()
    assert w.facility.error.isVisible() and "SIAM" in w.facility.error.text()
    w.facility.siam.setText("11111111")  # eight digits, but not a real id
    assert not next_button.isEnabled() and w.facility.error.isVisible()
    w.facility.siam.setText("12345678")
    assert next_button.isEnabled() and w.facility.error.isHidden()
    next_button.click()
    assert w.currentPage() is w.tokens


@pytest.fixture
def ticks():
    """Times at which a 20 ms timer fired on the event loop, from now to the end of the test."""
    seen: list[float] = [time.monotonic()]
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: seen.append(time.monotonic()))
    timer.start()
    yield seen
    timer.stop()


def _exchange_page(w: FirstRunWizard) -> None:
    w.facility.siam.setText("10000001")
    _next(w)
    _next(w)
    w.passphrase.first.setText(PASSPHRASE)
    w.passphrase.second.setText(PASSPHRASE)
    _next(w)
    assert w.currentPage() is w.exchange


def test_a_closed_port_fails_the_connection_test_without_freezing(qtbot, wizard, ticks) -> None:
    w = wizard()
    _exchange_page(w)
    ex = w.exchange
    ex.url.setText(f"http://127.0.0.1:{_closed_port()}")
    ex.test_button.click()
    assert ex.testing and not ex.test_button.isEnabled()  # the click came back before the answer
    qtbot.waitUntil(lambda: ex.outcome is not None, timeout=10_000)
    assert ex.outcome is False and "did not answer" in ex.result.text()
    assert ex.test_button.isEnabled()
    assert w.button(QWizard.WizardButton.FinishButton).isEnabled()  # offline is allowed
    assert len(ticks) > 1


def test_a_server_that_never_answers_fails_after_its_timeout_and_the_window_keeps_turning(
    qtbot, wizard, ticks
) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)  # accepts connections (the kernel does), never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        w = wizard(probe=lambda u: probe_exchange(u, timeout=1.0))
        _exchange_page(w)
        w.exchange.url.setText(url)
        started = time.monotonic()
        w.exchange.test_button.click()
        assert w.exchange.testing
        qtbot.waitUntil(lambda: w.exchange.outcome is not None, timeout=15_000)
        waited = time.monotonic() - started
        assert w.exchange.outcome is False
        assert waited >= 0.9
        # the timer kept firing while the probe waited: no gap near the whole wait
        during = [t for t in ticks if t >= started]
        gaps = [b - a for a, b in itertools.pairwise(during)]
        assert len(during) > 10 and max(gaps) < waited / 2


def test_an_address_that_cannot_be_holds_finish(qtbot, wizard) -> None:
    w = wizard()
    _exchange_page(w)
    w.exchange.url.setText("exchange.example")
    assert not w.button(QWizard.WizardButton.FinishButton).isEnabled()
    assert "https://" in w.exchange.error.text()
    assert not w.exchange.test_button.isEnabled()
    w.exchange.url.setText("")
    assert w.button(QWizard.WizardButton.FinishButton).isEnabled()  # none: offline until set in Settings


def test_the_program_starts_with_the_wizard_when_there_is_no_store(qtbot, tmp_path, monkeypatch) -> None:
    import ui.main
    from app.cli.context import Context
    from ui.common.unlock import UnlockDialog

    asked: list[str] = []
    monkeypatch.setattr(FirstRunWizard, "ask", classmethod(lambda cls, d, w, **k: asked.append("wizard")))
    monkeypatch.setattr(UnlockDialog, "ask", classmethod(lambda cls, d, w: asked.append("unlock")))
    assert ui.main.run(Context(data_dir=tmp_path / "data", lang="en")) == 1
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / KEY_NAME).write_text("{}")
    assert ui.main.run(Context(data_dir=tmp_path / "data", lang="en")) == 1
    assert asked == ["wizard", "unlock"]
