"""`noskhe rx print`, `noskhe receipt print`, `noskhe paper verify`, on a real store, as a user runs them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from app.signing import SignatureRole as R
from printing.paper import PAYLOAD_BLOB
from smartcard.config import SOFTHSM_MODULE
from tests.conftest import PASSPHRASE
from tests.printing.conftest import (
    COUNCIL,
    GP_NAME,
    HID,
    P12_PASS,
    Pki,
    need,
    render_png,
    sample_dispensing,
    sample_prescription,
    zbar,
)


@pytest.fixture
def env(pki: Pki, monkeypatch: pytest.MonkeyPatch) -> Pki:
    monkeypatch.setenv("NOSKHE_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("NOSKHE_KEY_PASSPHRASE", P12_PASS)
    monkeypatch.setenv("NOSKHE_TRUST_LIST", str(pki.tokens.trust_list))
    monkeypatch.setenv("NOSKHE_PKCS11_MODULE", "/nonexistent/no-token-here.so")  # no token unless a test asks
    return pki


@pytest.fixture
def saved(store, env: Pki):  # type: ignore[no-untyped-def]
    from app.canonical import canonical_bytes

    rx = sample_prescription()
    data = canonical_bytes(rx.document())
    sigs = [env.signer("paper-gp-ec").sign(data), env.signer("paper-clinic", R.FACILITY).sign(data)]
    rx.mark_signed()
    store.save_prescription(rx, sigs)
    d = sample_dispensing(rx)
    store.save_dispensing(d)
    return rx, d


def run(data_dir: Path, *args: str) -> int:
    return main(["--data-dir", str(data_dir), *args])


def test_print_then_verify_the_scan(saved, store, data_dir: Path, env: Pki, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    need("pdftoppm", "zbarimg")
    rx, _ = saved
    store.close()
    pdf = tmp_path / "rx.pdf"
    p12 = str(env.tokens.p12("paper-gp-ec"))
    assert run(data_dir, "rx", "print", rx.id, "-o", str(pdf), "--p12", p12) == 0
    out = capsys.readouterr().out
    assert f"HID {HID}" in out and "QR v" in out
    png = render_png(pdf)
    assert run(data_dir, "paper", "verify", "--image", str(png)) == 0
    out = capsys.readouterr().out
    assert "valid paper prescription" in out and GP_NAME in out and rx.id in out and COUNCIL in out
    (text,) = zbar(png, "qrcode")
    assert run(data_dir, "paper", "verify", text, "--json") == 0
    assert '"valid": true' in capsys.readouterr().out


def test_tampered_or_cut_payload_exits_non_zero_with_one_line(
    saved, data_dir: Path, env: Pki, capsys
) -> None:  # type: ignore[no-untyped-def]
    from printing.paper import paper_payload

    rx, _ = saved
    text = paper_payload(rx, env.signer("paper-gp-ec"))
    for bad in (text[:-20], text[:100] + ("A" if text[100] != "A" else "B") + text[101:]):
        assert run(data_dir, "paper", "verify", bad) == 1
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err
        assert "paper prescription" in err and "نسخه کاغذی" in err


def test_untrusted_signer_exits_non_zero(saved, data_dir: Path, env: Pki, capsys) -> None:  # type: ignore[no-untyped-def]
    from printing.paper import paper_payload

    rx, _ = saved
    assert run(data_dir, "paper", "verify", paper_payload(rx, env.rogue_signer())) == 1
    assert "not accepted" in capsys.readouterr().err


def test_reprint_needs_no_token_and_no_qr_needs_no_signer(
    saved, store, data_dir: Path, env: Pki, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    rx, _ = saved
    assert run(data_dir, "rx", "print", rx.id, "-o", str(tmp_path / "a.pdf")) == 1  # no payload yet, no token
    assert "token" in capsys.readouterr().err
    assert run(data_dir, "rx", "print", rx.id, "-o", str(tmp_path / "b.pdf"), "--no-qr") == 0
    p12 = str(env.tokens.p12("paper-gp-ec"))
    assert run(data_dir, "rx", "print", rx.id, "-o", str(tmp_path / "c.pdf"), "--p12", p12) == 0
    first = store.get_blob(PAYLOAD_BLOB.format(id=rx.id, version=rx.version))
    assert (
        run(data_dir, "rx", "print", rx.id, "-o", str(tmp_path / "d.pdf")) == 0
    )  # the signed payload is kept
    assert store.get_blob(PAYLOAD_BLOB.format(id=rx.id, version=rx.version)) == first

    actions = [e["action"] for e in store.audit.entries(limit=50)]
    assert actions.count("prescription.print") == 3


def test_receipt_print_roll_and_a5(saved, data_dir: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    _, d = saved
    assert run(data_dir, "receipt", "print", d.id, "-o", str(tmp_path / "roll.pdf"), "--roll") == 0
    assert "80 mm" in capsys.readouterr().out
    assert run(data_dir, "receipt", "print", d.id, "-o", str(tmp_path / "a5.pdf")) == 0
    assert (tmp_path / "a5.pdf").stat().st_size > 1000
    assert run(data_dir, "receipt", "print", "NO-SUCH-ID", "-o", str(tmp_path / "x.pdf")) == 1


def test_other_modules_can_share_the_rx_group() -> None:
    import argparse

    from app.cli.cmd_print import command_group, register

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    other = command_group(sub, "rx", "prescriptions")  # a module registering before us…
    other.add_parser("send").set_defaults(handler="send")
    register(sub)  # …and we add `print` to the same group
    assert command_group(sub, "rx", "x") is other
    assert parser.parse_args(["rx", "send"]).handler == "send"
    assert parser.parse_args(["rx", "print", "X", "-o", "f.pdf"]).id == "X"


@pytest.mark.skipif(
    not os.path.exists(SOFTHSM_MODULE), reason="SoftHSM2 not installed (apt install softhsm2)"
)
def test_print_signed_on_a_real_token(store, data_dir: Path, tmp_path: Path) -> None:
    """The prescriber's SoftHSM2 token signs the QR (RSA, like the demo GP) in a separate `noskhe` process."""
    need("pdftoppm", "zbarimg")
    from printing.paper import verify_text
    from smartcard import devtoken
    from smartcard.devtoken import DevIdentity
    from smartcard.trustlist import TrustList

    tokens = devtoken.init(
        tmp_path / "tokens",
        (
            DevIdentity(
                "paper-cli-gp",
                R.PRESCRIBER,
                GP_NAME,
                "Physician",
                f"MC-{COUNCIL}",
                key_type="rsa",
                pin="135790",
            ),
        ),
    )
    rx = sample_prescription()
    store.save_prescription(rx)
    store.close()
    pdf = tmp_path / "token.pdf"
    env = {
        **os.environ,
        **tokens.env(),
        "NOSKHE_PIN": "135790",
        "NOSKHE_TOKEN_LABEL": "paper-cli-gp",
        "NOSKHE_PASSPHRASE": PASSPHRASE,
        "NOSKHE_DATA_DIR": str(data_dir),
    }
    done = subprocess.run(
        [sys.executable, "-m", "app", "rx", "print", rx.id, "-o", str(pdf)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "135790" not in done.stdout + done.stderr
    (text,) = zbar(render_png(pdf), "qrcode")
    paper = verify_text(text, TrustList.from_file(tokens.trust_list))
    assert paper.payload.cert is not None  # RSA certificate embedded: QR ≤ version 30
    assert paper.signer.medical_council_number == COUNCIL


def test_paper_verify_in_english_shows_gregorian_tehran_times_only(saved, data_dir: Path, env: Pki, capsys) -> None:  # type: ignore[no-untyped-def]
    import re

    from app.timefmt import format_time
    from printing.paper import paper_payload

    rx, _ = saved
    text = paper_payload(rx, env.signer("paper-gp-ec"))
    assert run(data_dir, "--lang", "en", "paper", "verify", text) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith(("  prescription ", "  signed by "))]
    assert len(lines) == 2, out
    for line in lines:
        assert not re.search("[۰-۹]", line), line  # no Jalali date, no Persian digits
    assert lines[0].endswith(f"v{rx.version}, {format_time(rx.prescribed_at, 'en', seconds=True)}"), lines[0]
    assert re.search(r" at \d{4}-\d\d-\d\d \d\d:\d\d;", lines[1]), lines[1]
    # Persian keeps the Jalali time with the Gregorian one beside it
    assert run(data_dir, "--lang", "fa", "paper", "verify", text) == 0
    out = capsys.readouterr().out
    assert re.search(r"v\d+, [۰-۹]{4}/[۰-۹]{2}/[۰-۹]{2} [۰-۹:]{8} \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)", out), out
