"""The real thing from the command line: SoftHSM2 tokens, `noskhe` subprocesses, an exchange process."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from tests.sync import harness

noskhe = harness.noskhe


def test_a_clinic_workstation_signs_on_its_tokens_and_syncs(tmp_path, tokens, exchange_process) -> None:
    ex = exchange_process.start()
    data = str(tmp_path / "clinic")
    env = harness.cli_env(tokens, NOSKHE_DATA_DIR=data, NOSKHE_PIN="111111", NOSKHE_FACILITY_PIN="333333")
    env.pop("NOSKHE_TRUST_LIST")
    steps = [
        ("init", "--role", "clinic", "--facility", "10000001", "--facility-name", "درمانگاه نمونه"),
        ("token", "trust", "import", str(tokens.trust_list)),
        (
            "sync",
            "config",
            "--exchange",
            ex.url,
            "--user-token",
            "noskhe-gp",
            "--facility-token",
            "noskhe-clinic",
        ),
    ]
    for argv in steps:
        done = noskhe(env, *argv)
        assert done.returncode == 0, (argv, done.stderr)
    patient = harness.patients(1)[0]
    done = noskhe(
        env,
        "rx",
        "create",
        "--patient",
        patient.id.value,
        "--first-name",
        patient.first_name,
        "--last-name",
        patient.last_name,
        "--item",
        "101002:21:هر ۸ ساعت",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    rx = json.loads(done.stdout)
    # online: eligibility at admission (the HID) and the exchange's rules before the token signed
    assert rx["state"] == "queued" and rx["hid"] and rx["eligibility"]["status"] == "confirmed"
    assert rx["rules"]["source"] == "exchange" and rx["cost"]["basis"] == "exchange"
    done = noskhe(env, "sync", "run", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["done"] == 1, done.stderr
    shown = json.loads(noskhe(env, "rx", "show", rx["id"], "--json").stdout)
    assert shown["state"] == "registered" and shown["tracking_code"] and shown["hid"]
    assert shown["prescriber"]["medical_council_number"] == "123456"  # read from the token's certificate
    status = json.loads(noskhe(env, "sync", "status", "--json").stdout)
    assert status["online"] is True and status["counts"]["done"] == 1
    wrong = noskhe(
        {**env, "NOSKHE_PIN": "000000"}, "rx", "create", "--patient", patient.id.value, "--item", "101002:1"
    )
    assert wrong.returncode == 1 and len(wrong.stderr.strip().splitlines()) == 1


def test_the_demo_plays_the_whole_story_and_keeps_its_paper(tmp_path) -> None:
    from tests.printing.conftest import render_png, zbar

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOFTHSM", "NOSKHE_"))}
    env["PYTHONPATH"] = str(harness.ROOT)
    out = tmp_path / "demo"
    done = noskhe(env, "demo", "--headless", "--json", "--out", str(out), timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout)

    def step(starts: str) -> dict:
        return next(s["detail"] for s in report["steps"] if s["name"].startswith(starts))

    assert report["ok"] and len(report["steps"]) == 13
    visit = step("GP registers the visit")
    assert visit["visit"]["state"] == "registered" and {x["kind"] for x in visit["lines"]} == {"drug", "lab", "physio"}
    lab = step("a lab checks the GP")
    assert {v["source"] for v in lab["certificates"].values()} == {"ocsp"} and lab["council"]["status"] == "active"
    assert lab["seen_by_the_gp"] == [lab["outcome"]]
    rules = step("GP writes an opioid with a benzodiazepine")
    assert (
        rules["state"] == "registered"
        and rules["override_reason"]
        and "--override-reason" in rules["refused"]["en"]
    )
    conflict = step("pharmacy 2 tries the same prescription")
    assert conflict["online_claim"]["status"] == 409 and conflict["prescription_state_here"] == "dispensed"
    paper = step("exchange down again")
    assert paper["state_while_down"] == "queued" and paper["state_after_sync"] == "registered"
    assert step("financial statements")["receipts_match_the_exchange"] is True

    assert report["output"] == str(out)
    written = report["steps"][0]["detail"]["prescriptions"]
    pdfs = [r["paper"] for r in written]
    receipts = [step("pharmacy 1 claims")["receipt_pdf"], paper["receipt_pdf"]]
    assert report["files"][: len(pdfs) + 2] == pdfs + receipts
    for f in report["files"]:
        assert Path(f).parent == out and Path(f).read_bytes()[:5] == b"%PDF-"
    if shutil.which("zbarimg") and shutil.which("pdftoppm"):
        first = written[0]
        codes = zbar(render_png(Path(first["paper"])), "code128")
        assert first["id"] in codes  # the prescription's own id, as printed while offline
        assert first["patient"].split(":")[1] in codes  # HID pending: the national code instead

    again = noskhe(env, "demo", "--headless", "--out", str(out), timeout=300)  # the same --out again
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    tail = again.stdout.split("paper prescriptions and receipts in ")[-1].splitlines()
    inside = Path(tail[0].rstrip(":"))
    assert inside.parent == out and inside.name.startswith("noskhe-demo-")
    listed = [Path(line.strip()) for line in tail[1:6]]
    assert all(p.parent == inside and p.suffix == ".pdf" and p.is_file() for p in listed)
