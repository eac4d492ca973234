"""A paper QR carries no specialty: the verdict and the counter fill the prescriber's specialty from the
medical council's answer kept here (the council line below already says GP), never "—"."""

from printing.payload import encode, fields_from_prescription, seal
from printing.pharmacy import paper_verdict
from tests.ui.test_pharmacy_counter_paper import pharmacy, shown, written_by  # noqa: F401  (fixtures)
from ui.common.host import Host
from ui.i18n import Words
from ui.pharmacy.counter import CounterView


def test_a_papers_prescriber_gets_the_councils_specialty(qtbot, pharmacy, tokens, exchange, tmp_path):  # noqa: F811
    rx, gp = written_by(tmp_path, tokens, exchange, "noskhe-gp")
    v = paper_verdict(pharmacy, [encode(seal(fields_from_prescription(rx), gp))])
    assert v.verdict == "valid" and not v.prescription.prescriber.specialty  # the paper has none
    specialty = v.kept.council.answer.specialty
    assert specialty  # the council answered, and it is kept
    view = shown(qtbot, pharmacy, v, "en")
    line = next(x for x in view.verdict_detail.text().splitlines() if x.startswith("Prescriber"))
    assert specialty in line and "—" not in line.split("council no.")[1].split("—", 1)[1]
    host = Host(pharmacy, Words("en"))
    counter = CounterView(host, v.prescription.id)
    qtbot.addWidget(counter)
    qtbot.waitUntil(lambda: counter.rx is not None, timeout=15000)
    assert specialty in counter.prescriber.text()
    host.tasks.shutdown()
