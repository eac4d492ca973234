"""`rx create` / `rx show` wording (issue 9, point 2, as a tester found it): a reason blank once cleaned
hints at signing the kept draft *with* a reason; `rx show` labels the exchange's findings at registration
apart from the check kept from signing.

Against a real exchange process on loopback, SQLCipher stores and PKCS#12 signers."""

from __future__ import annotations

import re

from tests.e2e.test_counter_state import OPIOID_AND_BENZO, cli, create_args, world  # noqa: F401


def test_a_blank_reason_hints_at_signing_the_draft_with_a_reason(world, capsys) -> None:  # noqa: F811
    _, clinic, _ = world
    code, out = cli(clinic, capsys, *create_args(*OPIOID_AND_BENZO), "--override-reason", "\u200c\u200f")
    assert code == 1 and "empty once invisible characters are removed" in out, out
    draft = re.search(r"The draft (\S+) was kept", out).group(1)
    assert f"noskhe rx sign {draft} --override-reason TEXT" in out, out


def test_rx_show_labels_the_exchanges_findings_and_the_kept_check(world, capsys) -> None:  # noqa: F811
    _, clinic, _ = world
    code, out = cli(clinic, capsys, *create_args(*OPIOID_AND_BENZO), "--override-reason", "pain at night")
    assert code == 0, out
    rx_id = clinic.store.find_prescriptions(states=("signed", "queued", "registered"))[0].id
    assert clinic.sync.run().done >= 1
    code, out = cli(clinic, capsys, "rx", "show", rx_id)
    assert code == 0, out
    assert "rules before signing: the exchange's rules" in out, out
    assert "rules at registration: the exchange's, 3 finding(s)" in out, out
