"""English at run time: the users page's role combo is as wide as its longest role ("technician" was cut to
"technicia"), and the attention count reads right for one item ("1 items" before)."""

from exchange import devworld
from tests.sync import harness
from ui.common.host import Host
from ui.common.users import UsersPage
from ui.i18n import Words


def test_the_role_combo_fits_technician_after_switching_to_english(qtbot, tmp_path, tokens, exchange):
    ws = harness.new_workstation(tmp_path / "pharmacy", devworld.PHARMACY, tokens, exchange.url)
    try:
        host = Host(ws, Words("fa"))
        page = UsersPage(host)
        qtbot.addWidget(page)
        page.resize(260, 400)  # a narrow window: the line edits give way, not the combo
        page.show()
        qtbot.waitExposed(page)
        host.words = Words("en")
        page.retranslate()
        qtbot.wait(50)
        combo = page.role
        texts = [combo.itemText(i) for i in range(combo.count())]
        assert any("technician" in t.lower() for t in texts)
        widest = max(combo.fontMetrics().horizontalAdvance(t) for t in texts)
        assert combo.width() >= widest + 20, (combo.width(), widest)
        host.tasks.shutdown()
    finally:
        ws.close()


def test_one_item_needing_attention_is_not_one_items():
    text = Words("en")("attention_count", n=1)
    assert "1 items" not in text and "1" in text
