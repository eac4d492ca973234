"""Faults and hostile input from the command line, with real `noskhe` processes on SoftHSM2 tokens: edits
of one prescription at once, bad values at the edge. Every refusal is one line, exit 1, nothing lost."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from app.store import Store
from tests.sync import harness


def _document(value) -> dict:
    """A stored document, whichever way the store keeps it (plain JSON text or packed)."""
    try:
        from app.store.packing import unpack
    except ImportError:
        return json.loads(value)
    return unpack(value)


noskhe = harness.noskhe


@pytest.fixture(scope="module")
def clinic_cli(tmp_path_factory, tokens):
    """A clinic workstation set up through the CLI on the GP's and the clinic's tokens, with one queued
    prescription; returns (env, data dir, prescription id)."""
    data = tmp_path_factory.mktemp("abuse") / "clinic"
    env = harness.cli_env(tokens, NOSKHE_DATA_DIR=str(data), NOSKHE_PIN="111111", NOSKHE_FACILITY_PIN="333333")
    for argv in (
        ("init", "--role", "clinic", "--facility", "10000001", "--facility-name", "درمانگاه"),
        ("token", "trust", "import", str(tokens.trust_list)),
        ("sync", "config", "--exchange", "http://127.0.0.1:9", "--user-token", "noskhe-gp",
         "--facility-token", "noskhe-clinic"),
    ):
        done = noskhe(env, *argv)
        assert done.returncode == 0, (argv, done.stderr)
    patient = harness.patients(1)[0]
    done = noskhe(
        env, "rx", "create", "--patient", patient.id.value, "--first-name", patient.first_name,
        "--last-name", patient.last_name, "--item", "101002:21:هر ۸ ساعت", "--json",
    )
    assert done.returncode == 0, done.stderr
    return env, data, json.loads(done.stdout)["id"]


def test_edits_of_one_prescription_at_once_never_share_a_version(clinic_cli) -> None:
    env, data, rx_id = clinic_cli
    for trial in range(3):
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "app", "rx", "edit", rx_id, "--notes", f"t{trial}-p{i}"],
                env=env, cwd=harness.ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            for i in range(3)
        ]
        outs = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
        won = [i for i, (code, _err) in enumerate(outs) if code == 0]
        for code, err in outs:
            assert code in (0, 1), err
            if code == 1:  # the loser is told, in one line; SoftHSM2 shares its token files between
                # processes, and one that reads them while another writes may find the token absent
                assert "changed elsewhere" in err or "is present" in err, err
                assert len(err.strip().splitlines()) == 1, err
        assert won, outs
        with Store.open(data, harness.PASSPHRASE) as store:
            c = store.conn()
            versions = [r[0] for r in c.execute("SELECT version FROM prescription_versions WHERE id = ?", (rx_id,))]
            assert len(versions) == len(set(versions))
            queued = [
                r[0] for r in c.execute("SELECT version FROM outbox WHERE op IN ('register','edit') ORDER BY seq")
            ]
            assert len(queued) == len(set(queued)) == len(versions)  # one send per signed version, none twice
            notes = {_document(r[0])["notes"] for r in c.execute(
                "SELECT document FROM prescription_versions WHERE id = ?", (rx_id,))}
            assert {f"t{trial}-p{i}" for i in won} <= notes  # every edit reported saved is kept
            current = store.prescriptions.current_version(rx_id)
            assert current == max(versions)


# ---- disk full ---------------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 24 MiB tmpfs of its own (needs root to mount; skipped elsewhere): a disk that really fills up."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mnt)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root)")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(disk, leave: int) -> None:
    """Fill `disk` up to `leave` free bytes with a filler file (replaced on each call)."""
    filler = disk / "filler"
    filler.unlink(missing_ok=True)
    free = shutil.disk_usage(disk).free
    with open(filler, "wb") as fh:
        remaining = max(0, free - leave)
        while remaining > 0:
            n = min(remaining, 1 << 20)
            try:
                fh.write(b"\0" * n)
                fh.flush()
            except OSError:
                break
            remaining -= n


def test_a_full_disk_is_named_and_nothing_is_half_written(tokens, small_disk) -> None:
    data = small_disk / "clinic"
    env = harness.cli_env(tokens, NOSKHE_DATA_DIR=str(data), NOSKHE_PIN="111111", NOSKHE_FACILITY_PIN="333333")
    for argv in (
        ("init", "--role", "clinic", "--facility", "10000001", "--facility-name", "درمانگاه"),
        ("token", "trust", "import", str(tokens.trust_list)),
        ("sync", "config", "--exchange", "http://127.0.0.1:9", "--user-token", "noskhe-gp",
         "--facility-token", "noskhe-clinic"),
    ):
        assert noskhe(env, *argv).returncode == 0, argv
    patient = harness.patients(1)[0]
    create = ("rx", "create", "--patient", patient.id.value, "--first-name", patient.first_name,
              "--last-name", patient.last_name, "--item", "101002:21:هر ۸ ساعت", "--notes", "x" * 2000)
    saved = 0
    for leave in (0, 8 << 10, 32 << 10, 128 << 10, 512 << 10, 2 << 20):
        _fill(small_disk, leave)
        for argv in (create, ("rx", "list"), ("catalog", "search", "amox"), ("audit", "verify")):
            done = noskhe(env, *argv)
            lines = done.stderr.strip().splitlines()
            assert done.returncode in (0, 1), (leave, argv, done.stderr[-2000:])
            if done.returncode == 1:
                assert len(lines) == 1 and "Disk full: free space in" in lines[0], (leave, argv, lines)
            elif argv is create:
                saved += 1
    (small_disk / "filler").unlink()
    assert not any(p.name.startswith(".") and p.name.endswith(".tmp") for p in data.iterdir())
    assert noskhe(env, "audit", "verify").returncode == 0
    with Store.open(data, harness.PASSPHRASE) as store:
        assert store.integrity_problems() == []
        rows = store.conn().execute("SELECT count(*) FROM prescriptions WHERE state = 'queued'").fetchone()[0]
        queued = store.conn().execute("SELECT count(*) FROM outbox WHERE op = 'register'").fetchone()[0]
        assert rows == queued == saved  # each prescription told saved is there, with its send queued
    assert noskhe(env, *create).returncode == 0
