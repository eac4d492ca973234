"""The `noskhe` console script, run as a user runs it: good input works, bad input is one clear line."""

import os
import subprocess
import sys

import pytest

from tests.conftest import PASSPHRASE


def run(args, data_dir, *, passphrase=PASSPHRASE, env_extra=None, stdin=None):
    env = {**os.environ, "NOSKHE_DATA_DIR": str(data_dir), "NOSKHE_PASSPHRASE": passphrase}
    env.pop("NOSKHE_NEW_PASSPHRASE", None)
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL if stdin is None else stdin,
    )


def assert_user_error(result, *fragments):
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    err = result.stderr.strip()
    assert err, "a failing command must say why"
    assert len(err.splitlines()) <= 2, err  # one line (argparse usage errors add their usage line)
    for f in fragments:
        assert f in err, err


def test_version(tmp_path):
    r = run(["--version"], tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("noskhe ")


def test_init_then_use(tmp_path):
    d = tmp_path / "ws"
    r = run(["init", "--role", "clinic", "--facility", "۱۲۳۴۵۶۷۸", "--facility-name", "درمانگاه"], d)
    assert r.returncode == 0, r.stderr
    assert (d / "noskhe.db").exists() and (d / "noskhe.key").exists()
    r = run(["audit", "verify"], d)
    assert r.returncode == 0 and "intact" in r.stdout
    r = run(["backup", "create", str(tmp_path / "b.nbk")], d)
    assert r.returncode == 0 and "checked" in r.stdout, r.stderr
    r = run(["passphrase", "change"], d, env_extra={"NOSKHE_NEW_PASSPHRASE": "new passphrase 2"})
    assert r.returncode == 0, r.stderr
    assert_user_error(run(["audit", "verify"], d), "Wrong passphrase")
    assert run(["audit", "verify"], d, passphrase="new passphrase 2").returncode == 0
    r = run(["backup", "restore", str(tmp_path / "b.nbk")], d)  # the backup keeps its own passphrase
    assert r.returncode == 0, r.stderr
    assert run(["audit", "verify"], d).returncode == 0
    # --data-dir after the subcommand, as people type it
    assert run(["audit", "verify", "--data-dir", str(d)], tmp_path / "elsewhere").returncode == 0


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["init", "--role", "clinic", "--facility", "12"], "SIAM"),
        (["init", "--role", "hospital", "--facility", "12345678"], "invalid choice"),
        (["validate-id", "national-code", "0012345678"], "check digit"),
        (["validate-id", "gtin", "abc"], "digits only"),
        (["validate-id", "passport", "1"], "invalid choice"),
        (["catalog", "search", "amoxi"], "noskhe init"),
        (["audit", "verify"], "noskhe init"),
        (["backup", "create", "/tmp/x.nbk"], "noskhe init"),
        (["backup", "restore", "/nonexistent/b.nbk"], "Cannot read"),
        (["passphrase", "change"], "noskhe init"),
        (["no-such-command"], "invalid choice"),
        (["catalog"], "choose an action"),
    ],
)
def test_bad_input_without_a_store(tmp_path, args, fragment):
    assert_user_error(run(args, tmp_path / "empty"), fragment)


def test_bad_input_with_a_store(data_dir, tmp_path):
    assert_user_error(run(["audit", "verify"], data_dir, passphrase="wrong wrong"), "Wrong passphrase")
    assert_user_error(run(["init", "--role", "clinic", "--facility", "12345678"], data_dir), "already exists")
    assert_user_error(run(["catalog", "search", "zzzzqqq"], data_dir), "No drug or service matches")
    assert_user_error(run(["backup", "create", str(tmp_path / "no" / "dir" / "b.nbk")], data_dir), "Cannot write")
    (tmp_path / "junk.nbk").write_bytes(b"junk")
    assert_user_error(run(["backup", "restore", str(tmp_path / "junk.nbk")], data_dir), "not a Noskhe backup")
    assert_user_error(
        run(["passphrase", "change"], data_dir, env_extra={"NOSKHE_NEW_PASSPHRASE": "short"}), "at least 8"
    )
    env = {k: v for k, v in os.environ.items() if k != "NOSKHE_PASSPHRASE"}
    r = subprocess.run([sys.executable, "-m", "app", "audit", "verify"], env={**env, "NOSKHE_DATA_DIR": str(data_dir)},
                       capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert_user_error(r, "NOSKHE_PASSPHRASE")


def test_validate_id_prints_the_normal_form(tmp_path):
    r = run(["validate-id", "national-code", "۰۰۱-۲۳۴۵۶۷-۹"], tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == "0012345679"


def test_broken_audit_log_is_reported(data_dir):
    from app.store import Store

    with Store.open(data_dir, PASSPHRASE) as s:
        from tests.conftest import make_prescription

        s.save_prescription(make_prescription())
        s.save_prescription(make_prescription())
        c = s.conn()
        c.execute("DROP TRIGGER audit_log_no_update")
        c.execute("UPDATE audit_log SET outcome = 'denied' WHERE seq = 1")
    assert_user_error(run(["audit", "verify"], data_dir), "row 1")
