"""Settings (the exchange with a connection test, the token module with a token test, the idle lock, the
language, the passphrase) and the sync panel (an item the exchange refused, its reason, re-queue and
acknowledge) — each through the window."""

from app.services.prescribing import write_prescription
from app.store import Store
from exchange import devworld
from tests.sync import harness


def test_settings_are_kept_and_take_effect(qtbot, clinic_ws, clinic_store, open_window):
    window = open_window(clinic_ws)
    window.browse()
    dialog = window.open_settings()
    qtbot.addWidget(dialog)
    dialog.idle.setValue(7)
    dialog.lang.setCurrentIndex(dialog.lang.findData("en"))
    dialog.fields["printing.a5_printer"].setText("A5-counter")
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    try:
        assert clinic_store.meta("ui.idle_lock_minutes") == "7" and clinic_store.meta("ui.lang") == "en"
        assert window.session.idle_ms == 7 * 60_000 and window.host.words.lang == "en"
        assert window.setting("printing.a5_printer") == "A5-counter"
        assert window.tabs.tabText(0) == "Prescriptions"
    finally:
        window.host.set_language("fa")


def test_the_connection_test_says_whether_the_exchange_lets_this_facility_in(
    qtbot, clinic_ws, open_window, exchange
):
    window = open_window(clinic_ws)
    dialog = window.open_settings()
    qtbot.addWidget(dialog)
    dialog.fields["exchange.url"].setText("http://127.0.0.1:9")  # nobody there
    dialog.test_exchange()
    qtbot.waitUntil(
        lambda: dialog.test_exchange_button.isEnabled() and dialog.exchange_result.text() != "در حال آزمایش…",
        timeout=15000,
    )
    assert "پاسخ ن" in dialog.exchange_result.text()
    dialog.fields["exchange.url"].setText(exchange.url)
    dialog.test_exchange()
    qtbot.waitUntil(lambda: "پذیرفت" in dialog.exchange_result.text(), timeout=15000)
    # saved (nobody logged in, no users list: with the facility passphrase): the sync starts at once
    dialog.guard_pass.setText(harness.PASSPHRASE)
    dialog.save()
    qtbot.waitUntil(lambda: window.sync.state == "online", timeout=15000)


def test_the_token_test_lists_the_tokens_present(qtbot, token_ws, token_module, open_window):
    from smartcard.config import SOFTHSM_MODULE

    window = open_window(token_ws("ui-gp-5"))
    dialog = window.open_settings()
    qtbot.addWidget(dialog)
    dialog.fields["smartcard.module"].setText(SOFTHSM_MODULE)
    dialog.test_token()
    qtbot.waitUntil(lambda: "ui-gp-5" in dialog.token_result.text(), timeout=15000)
    dialog.reject()


def test_the_facility_passphrase_is_changed(qtbot, clinic_ws, clinic_store, open_window):
    window = open_window(clinic_ws)
    dialog = window.open_settings()
    qtbot.addWidget(dialog)
    dialog.old_pass.setText("not the passphrase")
    dialog.new_pass.setText("a brand new passphrase")
    dialog.again_pass.setText("a brand new passphrase")
    dialog.change_passphrase()
    qtbot.waitUntil(lambda: "نادرست" in dialog.passphrase_result.text(), timeout=15000)
    dialog.old_pass.setText(harness.PASSPHRASE)
    dialog.new_pass.setText("a brand new passphrase")
    dialog.again_pass.setText("a different one")
    dialog.change_passphrase()
    assert "یکی نیستند" in dialog.passphrase_result.text()
    dialog.again_pass.setText("a brand new passphrase")
    dialog.change_passphrase()
    qtbot.waitUntil(lambda: "تغییر کرد" in dialog.passphrase_result.text(), timeout=15000)
    Store.open(clinic_store.data_dir, "a brand new passphrase").close()
    dialog.reject()


def test_the_sync_panel_shows_a_refusal_and_what_to_do(
    qtbot, tokens, exchange, clinic_ws, clinic_store, open_window
):
    clinic_store.set_meta("exchange.url", exchange.url)
    # a GP whose licence the exchange knows as suspended writes one (another workstation over this store)
    suspended = harness.workstation_over(
        clinic_store,
        harness.signer(tokens, "noskhe-gp-suspended"),
        harness.signer(tokens, devworld.CLINIC.facility_token),
    )
    rx = write_prescription(suspended, patient=harness.patients(1)[0], items=[harness.SAFE_ITEMS[0]])
    window = open_window(clinic_ws)
    window.browse()  # the sync starts (the seal's passphrase from the replaced dialog)
    qtbot.waitUntil(lambda: window.sync.state == "online", timeout=15000)
    qtbot.waitUntil(lambda: bool(clinic_store.outbox.attention()), timeout=20000)
    qtbot.waitUntil(lambda: "نیازمند رسیدگی: ۱" in window.light.text(), timeout=10000)
    window.light.clicked.emit()  # the light opens the panel
    panel = window.current_page()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
    reason = panel.table.item(0, 4).text()
    assert reason and not reason.isascii()  # the exchange's reason, in Persian
    panel.table.setCurrentCell(0, 0)  # (selectRow picks no cell in a right-to-left table)
    assert panel.open_button.isEnabled()
    panel.open_button.click()  # fix and resend: the prescription opens
    assert window.current_page().rx_id == rx.id
    window.show_page(panel)
    panel.table.setCurrentCell(0, 0)
    sent = clinic_store.outbox.attention()[0].attempts
    panel.requeue_button.click()  # on the store lane: the row is sent again and refused again
    qtbot.waitUntil(
        lambda: bool(clinic_store.outbox.attention()) and clinic_store.outbox.attention()[0].attempts > sent,
        timeout=20000,
    )
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
    panel.table.setCurrentCell(0, 0)
    panel.ack_button.click()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 0, timeout=10000)
    assert not clinic_store.outbox.attention() and "رسیدگی ندارد" in panel.attention_label.text()
