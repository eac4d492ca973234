"""What a tester found driving the GP's window: a newborn's id is the newborn's (the mother named as the
mother, her coverage the newborn's), names and codes from the other script kept whole in either language,
codes with letters left as written, the override reason kept on edit, one draft per patient."""

import dataclasses

from app.domain import Coverage, PatientId
from tests.conftest import make_patient
from ui.i18n import FSI, LRI, PDI, Words

MOTHER = "0012345679"


def _mother():
    return dataclasses.replace(make_patient(MOTHER), coverage=Coverage("IHIO"))


def test_a_newborn_id_typed_over_the_mothers_code_names_the_newborn_not_the_mother(
    qtbot, clinic_ws, clinic_store, open_window
):
    clinic_store.save_patient(_mother())
    window = open_window(clinic_ws)
    window.browse()
    editor = window.desk.new_prescription()
    panel = editor.patient
    typed = ""
    for ch in MOTHER + "-1":  # typed key by key: the mother's code is whole before "-1"
        typed += ch
        panel.patient_code.setText(typed)
        if typed == MOTHER:
            qtbot.waitUntil(lambda: panel.first_name.text() == "مریم")
    assert panel.patient_id == PatientId("newborn", MOTHER + "-1")
    qtbot.waitUntil(lambda: panel.mother is not None)
    assert panel.first_name.text() == "" and panel.last_name.text() == ""  # the mother is not the patient
    status = panel.id_status.text()
    assert f"{LRI}۰۰۱۲۳۴۵۶۷۹-۱{PDI}" in status  # the id left-to-right, never "۱-۰۰۱۲۳۴۵۶۷۹"
    assert "نوزاد ۱" in status and "مریم احمدی" in status
    assert panel.insurer.currentData() == "IHIO" and panel.coverage() == _mother().coverage
    assert "بیمهٔ مادر" in panel.eligibility.text()
    assert "نوزاد ۱" in editor.tab_title and "مریم احمدی" in editor.tab_title
    tab = window.tabs.tabText(window.tabs.indexOf(editor))
    assert "نوزاد ۱" in tab and "مریم احمدی" in tab and "نام" not in tab
    window.host.set_language("en")  # English: the newborn and the mother, the Persian name one isolate
    try:
        assert (
            "newborn 1 of" in panel.id_status.text() and f"{LRI}0012345679-1{PDI}" in panel.id_status.text()
        )
        assert "the mother's coverage" in panel.eligibility.text()
        assert editor.tab_title.startswith("New prescription: ") and editor.tab_title.endswith(PDI)
    finally:
        window.host.set_language("fa")


def test_every_field_from_the_other_script_is_one_isolate_in_either_language():
    en, fa = Words("en"), Words("fa")
    text = en("user_label", name="آزمایشی")
    assert text.endswith(PDI) and text.index("آزمایشی") > text.index(":")
    assert "\u2067" in text or FSI in text
    assert fa("cancel_question", name="Dr. X (MC-123)").count(PDI) >= 1
    assert en("age_minute", n=5) == "5 min"  # a number alone is left alone
    # a Persian hint with a Latin shape in it keeps the shape and its value together
    assert f"{LRI}unique-id:مقدار{PDI}" in fa.text("به شکل unique-id:مقدار بنویسید")


def test_a_unique_id_with_letters_stays_as_written_and_a_newborn_id_reads_left_to_right(
    qtbot, clinic_ws, open_window
):
    window = open_window(clinic_ws)
    window.browse()
    panel = window.desk.new_prescription().patient
    panel.patient_code.setText("unique-id:AB123456")
    assert panel.patient_id is not None, panel.id_status.text()
    assert f"{LRI}AB123456{PDI}" in panel.id_status.text() and "۱۲۳" not in panel.id_status.text()
    assert Words("fa").code("7027692473-1") == f"{LRI}۷۰۲۷۶۹۲۴۷۳-۱{PDI}"
    assert Words("en").code("7027692473-1") == f"{LRI}7027692473-1{PDI}"


def test_an_english_tab_keeps_the_persian_name_after_its_colon(qtbot, clinic_ws, clinic_store, open_window):
    clinic_store.save_patient(make_patient())
    window = open_window(clinic_ws)
    window.browse()
    window.host.words.lang = "en"
    editor = window.desk.new_prescription()
    editor.patient.patient_code.setText(MOTHER)
    qtbot.waitUntil(lambda: editor.patient.first_name.text() == "مریم")
    title = editor.tab_title
    assert title.startswith("New prescription: ") and title.endswith(PDI)
    assert title[len("New prescription: ")] in (FSI, "\u2067")


def test_scanning_a_patient_with_a_draft_open_focuses_that_draft(qtbot, clinic_ws, open_window):
    from ui.clinic.editor import PrescriptionEditor
    from ui.common.scanner import read_scan

    window = open_window(clinic_ws)
    window.browse()
    assert window.desk.route_scan(read_scan(MOTHER))
    first = window.current_page()
    assert isinstance(first, PrescriptionEditor) and first.patient.patient_id.value == MOTHER
    window.show_page(window.desk.prescriptions)
    assert window.desk.route_scan(read_scan(MOTHER))  # again, from the list
    editors = [p for p in window.pages() if isinstance(p, PrescriptionEditor)]
    assert editors == [first] and window.current_page() is first
    window.desk.new_prescription()  # an empty one open: the same patient still goes to their draft
    assert window.desk.route_scan(read_scan(MOTHER))
    assert window.current_page() is first
    assert len([p for p in window.pages() if isinstance(p, PrescriptionEditor)]) == 2


def test_editing_keeps_the_override_reason_and_the_page_shows_it(qtbot, clinic_ws, clinic_store, open_window):
    from tests.ui.test_editor import add_amoxicillin

    clinic_store.save_patient(make_patient())
    window = open_window(clinic_ws)
    window.browse()
    editor = window.desk.new_prescription()
    editor.patient.patient_code.setText(MOTHER)
    qtbot.waitUntil(lambda: editor.patient.first_name.text() == "مریم")
    row = add_amoxicillin(qtbot, editor, quantity=21)
    editor.items.days(row).setValue(20)  # the rules want a reason past 14 days
    editor.sign()
    qtbot.waitUntil(lambda: editor.findings.checked and not editor.busy, timeout=15000)
    assert editor.findings.needs_reason_field
    editor.findings.reason.setText("عفونت مقاوم")
    editor.sign()
    qtbot.waitUntil(lambda: editor.prescription is not None, timeout=15000)
    rx = editor.prescription
    assert rx.override_reason == "عفونت مقاوم"
    again = window.desk.edit_prescription(clinic_store.get_prescription(rx.id))
    assert again.findings.reason.text() == "عفونت مقاوم"
    again.sign()  # the same rejection: the reason is there, nothing to type again
    qtbot.waitUntil(lambda: again.prescription is not None or again.error.isVisible(), timeout=15000)
    assert again.prescription is not None, again.error.text()
    assert again.prescription.override_reason == "عفونت مقاوم"


def test_the_editor_shows_the_known_hid_and_coverage_and_offline_says_pending(
    qtbot, clinic_ws, clinic_store, open_window
):
    from tests.conftest import make_prescription

    covered = Coverage("IHIO", insurance_number="IHIO-345679-0", insurer_percent=70)
    patient = dataclasses.replace(make_patient(), coverage=covered)
    clinic_store.save_patient(patient)
    window = open_window(clinic_ws)
    window.browse()
    editor = window.desk.new_prescription()
    editor.patient.patient_code.setText(MOTHER)
    qtbot.waitUntil(lambda: editor.patient.known is not None)
    text = editor.patient.eligibility.text()
    assert "۷۰٪" in text and f"{LRI}IHIO-345679-0{PDI}" in text and "برون‌خط" in text
    rx = dataclasses.replace(make_prescription(patient), hid="HID-00012345")
    editing = window.desk.edit_prescription(rx)
    assert f"{LRI}HID-00012345{PDI}" in editing.patient.eligibility.text()
    assert "برون‌خط" not in editing.patient.eligibility.text()


def test_online_the_editor_asks_eligibility_and_shows_the_coverage_found(
    qtbot, tmp_path, tokens, exchange, monkeypatch, open_window, logged_in
):
    from app.workstation import Workstation
    from exchange import devworld, seed
    from tests.sync import harness
    from tests.ui.conftest import GP_SECRET
    from ui.common.prompter import QtPrompter

    for name in ("NOSKHE_FACILITY_P12", "NOSKHE_TRUST_LIST", "NOSKHE_EXCHANGE_URL", "NOSKHE_TOKEN_LABEL"):
        monkeypatch.delenv(name, raising=False)
    store = harness.new_store(tmp_path / "clinic", devworld.CLINIC, tokens, exchange.url)
    harness.sign_with_p12(store, devworld.CLINIC, tokens)
    fast = {"probe_every": 0.3, "drain_every": 0.5, "refresh_every": 3600.0, "patience": 0.0}
    ws = Workstation(
        store, QtPrompter(Words("fa")), engine_options=fast, client_options={"timeout": (1.0, 3.0)}
    )
    try:
        window = logged_in(open_window(ws), GP_SECRET)
        qtbot.waitUntil(lambda: window.sync.state == "online", timeout=15000)
        person = next(p for p in seed.persons() if p["kind"] == "national-code" and p["coverages"])
        panel = window.desk.new_prescription().patient
        panel.patient_code.setText(person["value"])
        qtbot.waitUntil(lambda: panel.admission is not None, timeout=15000)
        assert panel.admission.confirmed
        plan = person["coverages"][0]
        assert panel.coverage() is panel.admission.patient.coverage
        assert plan in (panel.coverage().scheme, panel.coverage().insurer_code)
        assert "استحقاق تأیید شد" in panel.eligibility.text() and "برون‌خط" not in panel.eligibility.text()
    finally:
        ws.close()


def test_a_hyphened_id_in_persian_text_reads_left_to_right_everywhere():
    fa = Words("fa")
    assert f"{LRI}۰۰۱۲۳۴۵۶۷۹-۱{PDI}" in fa.text("مریم احمدی (0012345679-1)")
    assert fa.number("0012345679-1") == f"{LRI}۰۰۱۲۳۴۵۶۷۹-۱{PDI}"
    assert fa.number(1405) == "۱۴۰۵" and fa.text("۱۴۰۵/۰۹/۰۹") == "۱۴۰۵/۰۹/۰۹"
