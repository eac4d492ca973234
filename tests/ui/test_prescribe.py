"""The GP's new-prescription dialog over a real clinic store and real PKCS#12 signers."""

from app.domain import Sex
from app.errors import NoskheError
from app.lifecycle import RxState
from app.services.outbox import Outbox, chain_of
from exchange import devworld
from tests.conftest import make_patient
from tests.sync import harness
from ui.i18n import Words
from ui.main import MainWindow, setup_application
from ui.prescribe import NewPrescriptionDialog

AMOXICILLIN = "آموکسی‌سیلین"


def open_dialog(qtbot, ws, lang="fa"):
    setup_application(lang)
    dialog = NewPrescriptionDialog(ws, Words(lang))
    qtbot.addWidget(dialog)
    return dialog


def add_amoxicillin(qtbot, dialog, quantity=21, instructions="هر ۸ ساعت یک کپسول"):
    dialog.search.setText("اموکسي")  # Arabic yeh, no madda: as a keyboard may send it
    qtbot.waitUntil(lambda: dialog.results.count() > 0)
    texts = [dialog.results.item(r).text() for r in range(dialog.results.count())]
    dialog.results.setCurrentRow(next(r for r, t in enumerate(texts) if AMOXICILLIN in t))
    dialog.add_button.click()
    row = dialog.items.rowCount() - 1
    dialog.items.cellWidget(row, 1).setValue(quantity)
    dialog.items.cellWidget(row, 2).setText(instructions)
    return row


def fill(qtbot, dialog, code="۰۰۱۲۳۴۵۶۷۹"):
    dialog.patient_code.setText(code)
    dialog.first_name.setText("مریم")
    dialog.last_name.setText("احمدی")
    add_amoxicillin(qtbot, dialog)


def test_an_invalid_national_code_in_persian_digits_says_why_and_blocks_signing(qtbot, clinic_ws):
    dialog = open_dialog(qtbot, clinic_ws)
    fill(qtbot, dialog, code="۰۰۱۲۳۴۵۶۷۸")
    assert dialog.patient_id is None
    assert "رقم کنترل نادرست" in dialog.id_status.text() and "۰۰۱۲۳۴۵۶۷۸" in dialog.id_status.text()
    assert not dialog.sign_button.isEnabled()
    dialog.patient_code.setText("۰۰۱۲۳۴۵۶۷۹")
    assert dialog.sign_button.isEnabled()


def test_a_valid_code_is_normalised_and_a_known_patient_filled_in(qtbot, clinic_ws, clinic_store):
    clinic_store.save_patient(make_patient())
    dialog = open_dialog(qtbot, clinic_ws)
    dialog.patient_code.setText(" ٠٠١٢٣٤٥٦٧٩ ")  # Arabic-Indic digits, stray spaces
    assert dialog.patient_id.value == "0012345679"
    assert "۰۰۱۲۳۴۵۶۷۹" in dialog.id_status.text()
    assert (dialog.first_name.text(), dialog.last_name.text()) == ("مریم", "احمدی")
    assert dialog.sex.currentData() == "female" and dialog.patient().sex == Sex.FEMALE
    assert not dialog.sign_button.isEnabled()  # no item yet


def test_search_add_price_and_remove_items(qtbot, clinic_ws, clinic_store):
    amoxicillins = [d for d in clinic_store.catalog.search("amoxicillin", limit=50) if AMOXICILLIN in d.label_fa]
    # a price list entry: 1,500 rials a capsule, whichever amoxicillin the search offers first
    clinic_store.catalog.load([{**d.to_dict(), "price": 1500} for d in amoxicillins], replace=False)
    dialog = open_dialog(qtbot, clinic_ws)
    add_amoxicillin(qtbot, dialog, quantity=2)
    assert dialog.items.rowCount() == 1 and AMOXICILLIN in dialog.items.item(0, 0).text()
    assert dialog.codes == [dialog.requests()[0].drug_code]
    assert [dialog.items.item(0, c).text() for c in (3, 4)] == ["۰", "۳٬۰۰۰"]  # no insurer: the patient pays
    dialog.insurer.setCurrentIndex(dialog.insurer.findData("IHIO-RUR"))  # the rural fund pays 90%
    assert [dialog.items.item(0, c).text() for c in (3, 4)] == ["۲٬۷۰۰", "۳۰۰"]
    dialog.items.cellWidget(0, 1).setValue(20)
    assert dialog.items.item(0, 3).text() == "۲۷٬۰۰۰"
    assert "۲۷٬۰۰۰" in dialog.total.text() and "۳٬۰۰۰" in dialog.total.text()
    dialog.items.cellWidget(0, 5).click()
    assert dialog.items.rowCount() == 0 and dialog.codes == [] and "۰" in dialog.total.text()


def test_signing_queues_the_prescription_and_the_list_shows_it(
    qtbot, clinic_ws, clinic_store, seal_passphrase, monkeypatch
):
    setup_application("fa")
    window = MainWindow(clinic_ws, Words("fa"))
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.prescriptions.refresh_button.isEnabled())
    assert window.prescriptions.loaded == 0 and window.new_rx_action.isVisible()
    signed = []

    def ask(cls, ws, words, parent=None):
        dialog = cls(ws, words, parent)
        qtbot.addWidget(dialog)
        fill(qtbot, dialog)
        dialog.sign_button.click()
        assert dialog.result() == dialog.DialogCode.Accepted, dialog.error.text()
        signed.append(dialog.prescription)
        return dialog.prescription

    monkeypatch.setattr(NewPrescriptionDialog, "ask", classmethod(ask))
    window.new_rx_action.trigger()
    (rx,) = signed
    stored = clinic_store.get_prescription(rx.id)
    assert stored.state == RxState.QUEUED and stored.patient.id.value == "0012345679"
    assert [(i.quantity, i.instructions) for i in stored.items] == [(21, "هر ۸ ساعت یک کپسول")]
    assert len(clinic_store.prescription_signatures(rx.id)) == 2
    assert {r.op for r in Outbox(clinic_store).for_chain(chain_of(rx.id))} == {"eligibility", "register"}
    qtbot.waitUntil(lambda: window.prescriptions.loaded == 1)
    assert "مریم احمدی" in window.prescriptions.table.item(0, 1).text()
    window.tasks.wait()


def test_a_signing_failure_shows_one_message_and_keeps_everything(
    qtbot, clinic_ws, clinic_store, seal_passphrase, monkeypatch
):
    dialog = open_dialog(qtbot, clinic_ws)
    fill(qtbot, dialog)
    seal_passphrase[0] = "not the seal's passphrase"
    dialog.sign_button.click()
    assert dialog.result() != dialog.DialogCode.Accepted and dialog.prescription is None
    assert "گذرواژه" in dialog.error.text() and "Traceback" not in dialog.error.text()
    assert dialog.error.text().count("\n") == 0 and not dialog.error.isHidden()
    assert dialog.patient_code.text() == "۰۰۱۲۳۴۵۶۷۹" and dialog.items.rowCount() == 1
    assert dialog.items.cellWidget(0, 1).value() == 21
    assert clinic_store.find_prescriptions(limit=10) == []

    # The seal opens but the signature fails (a token pulled out): the draft is kept and named.
    from smartcard.p12 import P12Signer

    real_sign = P12Signer.sign

    def pulled_out(self, data):
        raise NoskheError("The token was removed.", "توکن جدا شد.")

    seal_passphrase[0] = devworld.P12_PASSPHRASES[devworld.CLINIC.facility_token]
    monkeypatch.setattr(P12Signer, "sign", pulled_out)
    dialog.sign_button.click()
    (draft,) = clinic_store.find_prescriptions(limit=10)
    assert draft.state == RxState.DRAFT
    assert "توکن جدا شد" in dialog.error.text() and draft.id in dialog.error.text()
    assert dialog.items.rowCount() == 1 and dialog.first_name.text() == "مریم"

    monkeypatch.setattr(P12Signer, "sign", real_sign)
    dialog.sign_button.click()
    assert dialog.result() == dialog.DialogCode.Accepted and dialog.prescription.state == RxState.QUEUED
    # Signing again signed that same draft: no unsigned copy is left behind.
    assert dialog.prescription.id == draft.id
    assert [rx.id for rx in clinic_store.find_prescriptions(limit=10)] == [draft.id]


def test_english_words_and_no_new_button_at_a_pharmacy(qtbot, tmp_path, tokens):
    ws = harness.workstation_over(harness.new_store(tmp_path / "pharmacy", devworld.PHARMACY, tokens))
    try:
        setup_application("en")
        window = MainWindow(ws, Words("en"))
        qtbot.addWidget(window)
        assert not window.new_rx_action.isVisible()
        dialog = open_dialog(qtbot, ws, lang="en")
        dialog.patient_code.setText("0012345678")
        assert dialog.id_status.text() and "رقم" not in dialog.id_status.text()
        dialog.patient_code.setText("0012345679")
        assert "0012345679" in dialog.id_status.text()
        assert dialog.sign_button.text() == "Sign and queue"
        window.tasks.wait()
    finally:
        ws.close()
