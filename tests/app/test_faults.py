"""Faults of the disk and the database file, and hostile values, at the store and the CLI's edge: each one
named in one line, nothing half-written, a damaged store never re-initialised nor silently used."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import _crash_log, _named_failure, main
from app.cli.context import Context
from app.errors import DiskFull, EditConflict, NoskheError, StoreDamaged, printable
from app.store import Store
from app.store.backup import create_backup
from app.store.db import DB_NAME, KEY_NAME
from tests.conftest import PASSPHRASE, make_patient, make_prescription

ROOT = Path(__file__).resolve().parents[2]


def _cli(data_dir: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(data_dir), *argv],
        env={**os.environ, "PYTHONPATH": str(ROOT), "NOSKHE_PASSPHRASE": PASSPHRASE, **env},
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )


# ---- corruption ----------------------------------------------------------------------------------------


def test_a_zero_length_database_beside_its_key_file_is_never_a_new_store(store, data_dir) -> None:
    store.save_prescription(make_prescription())
    store.close()
    for suffix in ("", "-wal", "-shm"):
        (data_dir / (DB_NAME + suffix)).unlink(missing_ok=True)
    (data_dir / DB_NAME).write_bytes(b"")
    with pytest.raises(StoreDamaged, match="restore the latest backup|Restore the latest backup"):
        Store.open(data_dir, PASSPHRASE)
    assert (data_dir / DB_NAME).stat().st_size == 0  # left as found, for whoever looks into it
    with pytest.raises(NoskheError, match="already exists"):
        Store.create(data_dir, PASSPHRASE, role="clinic", facility="10000001", kdf_log2_n=10)
    done = _cli(data_dir, "audit", "verify")
    assert done.returncode == 1 and "damaged" in done.stderr and "backup restore" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def _flip_middle(path: Path, n: int = 64) -> None:
    raw = bytearray(path.read_bytes())
    mid = len(raw) // 2
    raw[mid : mid + n] = bytes(b ^ 0xFF for b in raw[mid : mid + n])
    path.write_bytes(bytes(raw))


def test_flipped_bytes_in_mid_file_stop_the_store_at_opening(store, data_dir, tmp_path) -> None:
    for _ in range(20):
        store.save_prescription(make_prescription())
    store.checkpoint()
    store.close()
    _flip_middle(data_dir / DB_NAME)
    with pytest.raises(StoreDamaged):
        Store.open(data_dir, PASSPHRASE)
    for argv in (("rx", "list"), ("audit", "verify"), ("backup", "create", str(tmp_path / "b.nbk"))):
        done = _cli(data_dir, *argv)
        assert done.returncode == 1, (argv, done.stderr)
        assert "damaged" in done.stderr and "backup restore" in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "b.nbk").exists()


def test_a_backup_runs_the_full_check_first(store, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(store.db, "integrity_problems", lambda: ["page 7: hmac check failed"])
    with pytest.raises(StoreDamaged, match="hmac"):
        create_backup(store, tmp_path / "b.nbk", PASSPHRASE)
    assert not (tmp_path / "b.nbk").exists()


def test_the_full_check_runs_on_schedule_at_opening(store, data_dir, monkeypatch) -> None:
    store.set_meta("integrity.checked_at", "2000-01-01T00:00:00+00:00")
    store.close()
    calls: list[int] = []
    monkeypatch.setattr("app.store.db.Database.integrity_problems", lambda self: calls.append(1) or [])
    with Store.open(data_dir, PASSPHRASE) as s:
        assert calls and s.meta("integrity.checked_at") > "2000"
    with Store.open(data_dir, PASSPHRASE):
        assert len(calls) == 1  # not again the same day


# ---- disk full and the crash log -----------------------------------------------------------------------


def test_disk_full_is_one_named_line(tmp_path) -> None:
    ctx = Context(data_dir=tmp_path)
    full = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out.pdf"))
    named = _named_failure(full, ctx)
    assert isinstance(named, DiskFull) and f"Disk full: free space in {tmp_path}" in named.en
    assert isinstance(_named_failure(OSError(errno.EFBIG, "File too large", "x/y"), ctx), DiskFull)
    long = OSError(errno.ENAMETOOLONG, "File name too long", "/" + "a" * 10_000)
    named = _named_failure(long, ctx)
    assert named is not None and len(named.en) < 200 and "File name too long" in named.en


def test_the_crash_log_is_private_and_cannot_crash(tmp_path) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        path = _crash_log(Context(data_dir=tmp_path / "d"))
        assert path is not None and stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        blocked = tmp_path / "file"
        blocked.write_text("")
        assert _crash_log(Context(data_dir=blocked / "d")) is None  # no folder: no log, no second failure


def test_a_save_over_a_newer_version_is_refused(store) -> None:
    rx = make_prescription()
    store.save_prescription(rx)
    stale = store.get_prescription(rx.id)
    rx.version += 1
    store.save_prescription(rx)
    with pytest.raises(EditConflict):
        store.save_prescription(stale)
    assert store.get_prescription(rx.id).version == rx.version


# ---- messages ------------------------------------------------------------------------------------------


def test_control_characters_and_bidi_overrides_never_reach_a_message() -> None:
    err = NoskheError("Unknown drug 'a\r\nb'.", "داروی «\u202eab\u2066» ناشناخته است.")
    assert "\n" not in str(err) and "\r" not in str(err) and "\u202e" not in err.fa and "\u2066" not in err.fa
    assert printable("نیم\u200cفاصله") == "نیم\u200cفاصله"  # ZWNJ is Persian spelling, kept


def test_an_output_path_in_a_missing_folder_or_too_long_is_one_line(data_dir, capsys, monkeypatch) -> None:
    monkeypatch.setenv("NOSKHE_PASSPHRASE", PASSPHRASE)
    for target in (data_dir / "missing" / "x.nbk", Path("/" + "a" * 10_000)):
        code = main(["--data-dir", str(data_dir), "backup", "create", str(target)])
        err = capsys.readouterr().err
        assert code == 1 and len(err.strip().splitlines()) == 1 and len(err) < 600, err
        assert "Cannot" in err and "passphrase" not in err


# ---- who can read what -------------------------------------------------------------------------------


def test_a_printed_prescription_is_readable_by_its_owner_only(store, tmp_path) -> None:
    from printing.paper import print_prescription

    rx = make_prescription()
    store.save_prescription(rx)
    out = tmp_path / "rx.pdf"
    old = os.umask(0o022)
    try:
        print_prescription(store, rx.id, out, qr=False)
    finally:
        os.umask(old)
    assert out.read_bytes().startswith(b"%PDF") and stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_impossible_quantities_are_refused_before_anything_is_signed() -> None:
    from app.services.prescribing import ItemRequest

    for text in ("101002:100000000000000000000", "101002:0", "101002:-3", "101002:21/100000"):
        with pytest.raises(NoskheError, match="not possible"):
            ItemRequest.parse(text)
    with pytest.raises(NoskheError, match="instructions"):
        ItemRequest.parse("101002:21:" + "x" * 10_000)
    assert ItemRequest.parse("101002:10000/30:هر ۸ ساعت").quantity == 10_000


# ---- values at the edge (the exchange's address) ------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["' OR 1=1 --", "ftp://exchange", "http://", "http://a b", "http://x:0", "http://x:99999",
            "http://x:abc", "http://user:pw@x", "http://x/?q=1", "javascript:alert(1)", "http://x_y"],
)
def test_a_malformed_exchange_address_is_refused_at_config_time(data_dir, url) -> None:
    done = _cli(data_dir, "sync", "config", "--exchange", url)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "exchange address" in lines[0] and "سامانهٔ تبادل" in lines[0], lines
    with Store.open(data_dir, PASSPHRASE) as s:
        assert s.meta("exchange.url") is None  # nothing stored


def test_good_exchange_addresses_are_kept_as_typed(data_dir) -> None:
    for url, kept in (("https://exchange.example:8443/", "https://exchange.example:8443"),
                      ("http://127.0.0.1:9", "http://127.0.0.1:9"), ("https://[::1]/api", "https://[::1]/api")):
        done = _cli(data_dir, "sync", "config", "--exchange", url)
        assert done.returncode == 0 and f"exchange.url = {kept}" in done.stdout, done.stderr


def test_a_bad_address_stored_earlier_is_one_line_and_the_workstation_works_offline(store) -> None:
    from app.prompter import FixedPrompter
    from app.services.checking import Offline
    from app.workstation import Workstation

    store.set_meta("exchange.url", "' OR 1=1 --")
    ws = Workstation(store, FixedPrompter(passphrases={"store": PASSPHRASE}))
    with pytest.raises(NoskheError, match="not valid.*sync config --exchange"):
        _ = ws.exchange_url
    assert ws._ocsp_transport() is None  # certificates checked against the trust list's CRLs
    with pytest.raises(Offline):
        ws.national._client()


# ---- values at the edge (the patient, the notes) --------------------------------------------------------


def test_a_known_patients_typed_birth_date_and_insurer_are_not_ignored(store) -> None:
    from app.services.prescribing import _keep_as_record, patient_from

    kept = make_patient()  # no birth date, no insurer
    store.patients.save(kept)
    p = patient_from(store, kept.id.value, birth_date="1370/05/12", insurer="sso")
    assert p.birth_date is not None and p.birth_date.year == 1991 and p.coverage.insurer_code == "SSO"
    assert (p.first_name, p.last_name) == (kept.first_name, kept.last_name)
    _keep_as_record(store, p)
    assert store.get_patient(kept.id) == p  # the record now says what the GP typed
    assert patient_from(store, kept.id.value, insurer="IHIO-RUR").coverage.scheme == "IHIO-RUR"
    with pytest.raises(NoskheError, match="kept with birth date.*first-name"):
        patient_from(store, kept.id.value, birth_date="1371/01/01")  # a typo or the wrong patient
    fixed = patient_from(store, kept.id.value, first_name="مریم", last_name="احمدی", birth_date="1371/01/01")
    assert fixed.birth_date.year == 1992 and fixed.coverage == p.coverage  # corrected, the rest kept


def test_an_unknown_insurer_is_refused_with_the_known_codes(store) -> None:
    from app.services.prescribing import patient_from

    with pytest.raises(NoskheError, match="Unknown insurer 'ACME'; known codes: .*IHIO.*SSO"):
        patient_from(store, "0012345679", first_name="a", last_name="b", insurer="ACME")


@pytest.mark.parametrize("name", ["\r\n", "\n\n\n", " \t ", "\u200f\r\n", "x" * 101])
def test_a_name_of_only_line_breaks_or_too_long_is_refused(store, name) -> None:
    from app.services.prescribing import patient_from

    with pytest.raises(NoskheError, match="first name is (empty|over 100)"):
        patient_from(store, "0012345679", first_name=name, last_name="احمدی")


def test_a_10000_character_note_is_refused_before_anything_is_asked(store) -> None:
    from app.prompter import FixedPrompter
    from app.services.prescribing import MAX_NOTES, ItemRequest, check_notes, write_prescription
    from app.workstation import Workstation

    ws = Workstation(store, FixedPrompter(passphrases={"store": PASSPHRASE}))  # no signer: never reached
    with pytest.raises(NoskheError, match=f"10000 characters.*{MAX_NOTES} at most"):
        write_prescription(ws, patient=make_patient(), items=[ItemRequest("101002", 21)], notes="x" * 10_000)
    assert store.conn().execute("SELECT count(*) FROM prescriptions").fetchone()[0] == 0
    assert check_notes("x" * MAX_NOTES) == "x" * MAX_NOTES


def test_the_desktops_path_refuses_the_same_patients_and_notes(store) -> None:
    """The desktop builds the patient from its fields and calls `write_prescription` itself: the service
    refuses what `patient_from` refuses for the command line, before any token is asked."""
    from app.domain import Coverage, Patient, PatientId
    from app.prompter import FixedPrompter
    from app.services.prescribing import ItemRequest, write_prescription
    from app.services.settings import configure
    from app.workstation import Workstation

    ws = Workstation(store, FixedPrompter(passphrases={"store": PASSPHRASE}))  # no signer: never reached
    pid = PatientId.parse("national-code", "0012345679")
    for patient, said in (
        (Patient(pid, "\r\n", "احمدی"), "first name is empty"),
        (Patient(pid, "مریم", "x" * 101), "last name is over 100"),
        (Patient(pid, "مریم", "احمدی", coverage=Coverage("ACME")), "Unknown insurer 'ACME'"),
    ):
        with pytest.raises(NoskheError, match=said):
            write_prescription(ws, patient=patient, items=[ItemRequest("101002", 21)])
    with pytest.raises(NoskheError, match="at most"):
        write_prescription(ws, patient=make_patient(), items=[ItemRequest("101002", 21)], notes="x" * 10_000)
    assert store.conn().execute("SELECT count(*) FROM prescriptions").fetchone()[0] == 0
    with pytest.raises(NoskheError, match="exchange address"):  # the settings dialog saves through this
        configure(ws, {"exchange.url": "' OR 1=1 --"})
    assert store.meta("exchange.url") is None


def test_an_override_reason_of_10000_characters_is_refused_before_anything_is_signed(store) -> None:
    from app.prompter import FixedPrompter
    from app.services.prescribing import MAX_REASON, sign_and_queue
    from app.workstation import Workstation

    ws = Workstation(store, FixedPrompter(passphrases={"store": PASSPHRASE}))  # no signer: never reached
    rx = make_prescription()
    store.save_prescription(rx)
    with pytest.raises(NoskheError, match=f"override reason is over {MAX_REASON}"):
        sign_and_queue(ws, rx, action="prescription.sign", override_reason="x" * 10_000)
    assert store.get_prescription(rx.id).state.value == "draft"
