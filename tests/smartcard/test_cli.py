"""`noskhe token …` and `noskhe devtoken init`: good input works, bad input is one line and exit 1."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from app.cli import main
from tests.smartcard.conftest import PIN


@pytest.fixture
def cli(module, devtokens, monkeypatch, tmp_path):
    """Run main() in-process with the development environment; returns (code, stdout, stderr)."""
    monkeypatch.setenv("NOSKHE_TRUST_LIST", str(devtokens.trust_list))
    monkeypatch.setenv("NOSKHE_DATA_DIR", str(tmp_path / "data"))
    for name in ("NOSKHE_PIN", "NOSKHE_TOKEN_LABEL", "NOSKHE_PKCS11_MODULE", "NOSKHE_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)

    def run(*argv: str, **env: str):
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        code = main(list(argv))
        for k in env:
            monkeypatch.delenv(k)
        out = cli.capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture(autouse=True)
def _capsys(capsys):
    cli.capsys = capsys  # type: ignore[attr-defined]


def one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 1, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for f in fragments:
        assert f in err, err


def test_list(cli):
    code, out, _ = cli("token", "list")
    assert code == 0 and "noskhe-gp" in out and "PIN ok" in out


def test_sign_then_verify(cli, tmp_path):
    doc, sig = tmp_path / "doc.json", tmp_path / "doc.p7s"
    doc.write_text('{"id":"rx-1"}')
    code, out, err = cli(
        "token", "sign", "--role", "prescriber", "--token", "cli-gp", str(doc), "-o", str(sig), NOSKHE_PIN=PIN
    )
    assert code == 0, err
    assert PIN not in out + err and "آزمایشی دکتر سارا احمدی" in out
    code, out, err = cli("token", "verify", str(doc), str(sig))
    assert code == 0 and "valid signature" in out and "medical council number: 123456" in out, err


def test_facility_seal_from_pkcs12(cli, devtokens, tmp_path):
    doc, sig = tmp_path / "doc", tmp_path / "doc.p7s"
    doc.write_bytes(b"dispensing")
    code, out, err = cli(
        "token",
        "sign",
        "--role",
        "facility",
        "--p12",
        str(devtokens.p12("noskhe-pharmacy")),
        str(doc),
        "-o",
        str(sig),
        NOSKHE_PASSPHRASE="demo-pharmacy",
    )
    assert code == 0, err
    code, out, _ = cli("token", "verify", "--json", str(doc), str(sig))
    assert code == 0 and '"siam_id": "22334455"' in out


def test_trust_list_in_the_store(cli, devtokens, tmp_path, monkeypatch):
    from app.store import Store

    Store.create(
        tmp_path / "data",
        "pass phrase 9",
        role="pharmacy",
        facility="12345678",
        kdf_log2_n=12,
        seed_reference_data=False,
    ).close()
    monkeypatch.setenv("NOSKHE_PASSPHRASE", "pass phrase 9")
    code, out, err = cli("token", "trust", "import", str(devtokens.trust_list))
    assert code == 0, err
    monkeypatch.delenv("NOSKHE_TRUST_LIST")
    code, out, err = cli("token", "trust", "show")
    assert code == 0 and "Noskhe TEST CA" in out, err


def _signed(tmp_path, cli):
    doc, sig = tmp_path / "d", tmp_path / "d.p7s"
    doc.write_bytes(b"x")
    assert (
        cli(
            "token",
            "sign",
            "--role",
            "prescriber",
            "--token",
            "cli-gp",
            str(doc),
            "-o",
            str(sig),
            NOSKHE_PIN=PIN,
        )[0]
        == 0
    )
    return doc, sig


def test_bad_input_is_one_line(cli, tmp_path, devtokens):
    doc, sig = _signed(tmp_path, cli)
    junk = tmp_path / "junk"
    junk.write_bytes(b"junk")
    out = str(tmp_path / "o.p7s")
    cases = [
        (
            ("token", "sign", "--role", "prescriber", "--token", "cli-gp", str(tmp_path / "none"), "-o", out),
            {"NOSKHE_PIN": PIN},
            "Cannot read",
        ),
        (
            ("token", "sign", "--role", "prescriber", "--token", "cli-pin", str(doc), "-o", out),
            {"NOSKHE_PIN": "000000"},
            "Wrong PIN",
        ),
        (("token", "sign", "--role", "prescriber", "--token", "cli-pin", str(doc), "-o", out), {}, "No PIN"),
        (
            ("token", "sign", "--role", "pharmacist", "--token", "cli-gp", str(doc), "-o", out),
            {"NOSKHE_PIN": PIN},
            "not a pharmacist",
        ),
        (
            ("token", "sign", "--role", "prescriber", "--token", "nope", str(doc), "-o", out),
            {"NOSKHE_PIN": PIN},
            "No token",
        ),
        (
            (
                "token",
                "list",
            ),
            {"NOSKHE_PKCS11_MODULE": str(tmp_path / "none.so")},
            "not found",
        ),
        (
            (
                "token",
                "sign",
                "--role",
                "facility",
                "--p12",
                str(devtokens.p12("noskhe-clinic")),
                str(doc),
                "-o",
                out,
            ),
            {"NOSKHE_PASSPHRASE": "wrong"},
            "passphrase",
        ),
        (("token", "verify", str(doc), str(junk)), {}, "not a detached CMS"),
        (("token", "verify", str(junk), str(sig)), {}, "changed after"),
        (("token", "verify", str(doc), str(sig), "--trust-list", str(junk)), {}, "trust list"),
        (("devtoken", "init", "--dir", str(devtokens.directory)), {}, "--force"),
    ]
    for argv, env, fragment in cases:
        code, _, err = cli(*argv, **env)
        one_line_error(code, err, fragment)
        assert PIN not in err and "000000" not in err
    assert not os.path.exists(out)


def test_devtoken_init_prints_environment_and_pins(cli, tmp_path):
    code, out, err = cli("devtoken", "init", "--dir", str(tmp_path / "dev"))
    assert code == 0, err
    assert f"export SOFTHSM2_CONF={tmp_path / 'dev' / 'softhsm2.conf'}" in out
    assert "export NOSKHE_PKCS11_MODULE=" in out and "PIN 111111" in out and "TEST" in out
    assert (tmp_path / "dev" / "ca.pem").exists() and (tmp_path / "dev" / "trustlist.json").exists()


@pytest.mark.skipif(shutil.which("noskhe") is None, reason="console script not installed")
def test_console_script_verify(cli, tmp_path, devtokens):
    doc, sig = _signed(tmp_path, cli)
    env = {**os.environ, "NOSKHE_TRUST_LIST": str(devtokens.trust_list)}
    ok = subprocess.run(
        ["noskhe", "token", "verify", str(doc), str(sig)],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0 and "valid signature" in ok.stdout, ok.stderr
    doc.write_bytes(b"changed")
    bad = subprocess.run(
        ["noskhe", "token", "verify", str(doc), str(sig)],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    one_line_error(bad.returncode, bad.stderr, "changed after")
    assert sys.executable  # the script runs under the same interpreter's environment
