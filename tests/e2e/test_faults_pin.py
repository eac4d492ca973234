"""Wrong PINs are counted per token across `noskhe` runs (beside the store), combined with the token's own
flags; the try that would lock the card is not made without a confirmation; a right PIN resets the count."""

from __future__ import annotations

import json

import pytest

from smartcard.pins import COUNTS_NAME
from tests.sync import harness

noskhe = harness.noskhe
BAD = "999999"


@pytest.fixture
def clinic(tmp_path, tokens):
    data = tmp_path / "clinic"
    env = harness.cli_env(tokens, NOSKHE_DATA_DIR=str(data), NOSKHE_PIN="111111", NOSKHE_FACILITY_PIN="333333")
    env.pop("NOSKHE_PIN_LAST_TRY", None)
    for argv in (
        ("init", "--role", "clinic", "--facility", "10000001", "--facility-name", "درمانگاه"),
        ("token", "trust", "import", str(tokens.trust_list)),
        ("sync", "config", "--exchange", "http://127.0.0.1:9", "--user-token", "noskhe-gp",
         "--facility-token", "noskhe-clinic"),
    ):
        assert noskhe(env, *argv).returncode == 0, argv
    return env, data


def _create(env, **extra):
    patient = harness.patients(1)[0]
    return noskhe(
        {**env, **extra}, "rx", "create", "--patient", patient.id.value, "--first-name", patient.first_name,
        "--last-name", patient.last_name, "--item", "101002:21:هر ۸ ساعت",
    )


def _counted(data) -> dict:
    path = data / COUNTS_NAME
    return json.loads(path.read_text()) if path.exists() else {}


def test_six_runs_with_a_wrong_pin_never_reach_the_lock(clinic) -> None:
    env, data = clinic
    said = []
    for _ in range(6):
        done = _create(env, NOSKHE_PIN=BAD)
        assert done.returncode == 1, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        said.append(done.stderr)
    assert "2 left" in said[0] and "1 left" in said[1]
    for refusal in said[2:]:  # the third would be the card's last try: not made without a confirmation
        assert "did not try the PIN" in refusal and "NOSKHE_PIN_LAST_TRY" in refusal, refusal
    (entry,) = _counted(data).values()
    assert entry["failures"] == 2 and entry["label"] == "noskhe-gp"
    assert (data / COUNTS_NAME).stat().st_mode & 0o077 == 0
    # the right PIN, confirmed as the last try: signed, and the count starts again
    done = _create(env, NOSKHE_PIN_LAST_TRY="1")
    assert done.returncode == 0, done.stderr
    assert _counted(data) == {}
    assert "2 left" in _create(env, NOSKHE_PIN=BAD).stderr


def test_a_confirmed_last_try_that_is_wrong_says_the_card_may_be_locked(clinic) -> None:
    env, data = clinic
    for _ in range(2):
        assert _create(env, NOSKHE_PIN=BAD).returncode == 1
    done = _create(env, NOSKHE_PIN=BAD, NOSKHE_PIN_LAST_TRY="1")
    assert done.returncode == 1 and "may be locked now" in done.stderr, done.stderr
    assert next(iter(_counted(data).values()))["failures"] == 3
    assert _create(env, NOSKHE_PIN_LAST_TRY="1").returncode == 0  # SoftHSM2 never locks: the way back
    assert _counted(data) == {}
