"""A person whose role may not see statements loses the insurer's and patient's totals under the counter
list and history too, not only the share columns and the statement page."""

from tests.ui.test_roles_window import _demoted_gp


def test_a_role_without_statements_sees_no_money_totals(qtbot, clinic_ws, open_window, logged_in, tokens):
    window, reports, _ = _demoted_gp(qtbot, clinic_ws, open_window, logged_in, tokens)
    history = reports.history
    history.refresh()
    qtbot.waitUntil(lambda: history.loaded > 0 and history.summary.text() != "", timeout=15000)
    assert "ریال" not in history.summary.text() and "rials" not in history.summary.text()
