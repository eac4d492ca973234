"""Every leaf command of `noskhe`, run with nothing (no store, no arguments, no tokens): a clear refusal,
exit 1 or 2, and never an internal error or a traceback."""

from __future__ import annotations

import argparse

import pytest

from app.cli import build_parser, main

# Commands that do their whole job with no input at all.
RUNS_WITHOUT_INPUT = {("demo",), ("token", "list"), ("exchange", "stats")}


def leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [path]
    out: list[tuple[str, ...]] = []
    for name, child in subs[0].choices.items():
        out += leaves(child, (*path, name))
    return out


COMMANDS = [c for c in leaves(build_parser()) if c and c not in RUNS_WITHOUT_INPUT]


def test_the_command_tree_is_complete():
    names = {" ".join(c) for c in COMMANDS}
    for expected in (
        "init",
        "rx create",
        "rx print",
        "dispense",
        "sync status",
        "token sign",
        "paper verify",
        "backup restore",
        "audit verify",
        "exchange serve",
    ):
        assert expected in names


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_command_refuses_nothing_clearly(command, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NOSKHE_PASSPHRASE", "some passphrase")
    for var in ("NOSKHE_PIN", "NOSKHE_TRUST_LIST", "NOSKHE_EXCHANGE_URL", "NOSKHE_TOKEN_LABEL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NOSKHE_PKCS11_MODULE", str(tmp_path / "no-such-module.so"))
    empty = tmp_path / "empty"
    try:
        code = main(["--data-dir", str(empty), *command])
    except SystemExit as exc:  # argparse: a required argument is missing
        code = exc.code
    out = capsys.readouterr()
    text = out.out + out.err
    assert code in (1, 2), f"{' '.join(command)} → {code}: {text}"
    assert "Traceback" not in text and "internal error" not in text
    assert out.err.strip(), "a refusal says why"
    assert not (empty / "crash.log").exists()


# With every required argument filled with junk, commands reach their handlers; these would then succeed or
# serve forever, which is not a refusal to test here.
DOES_REAL_WORK_WITH_JUNK = {("exchange", "serve"), ("devtoken", "init"), ("exchange", "fault")}


def leaf_parser(command: tuple[str, ...]) -> argparse.ArgumentParser:
    parser = build_parser()
    for name in command:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return parser


def junk_arguments(command: tuple[str, ...], tmp_path) -> list[str]:
    args: list[str] = []
    for action in leaf_parser(command)._actions:
        if not action.required and action.option_strings:
            continue
        if isinstance(action, argparse._HelpAction):
            continue
        value = str(action.choices[0]) if action.choices else str(tmp_path / "نیست-۱۲۳")
        if action.option_strings:
            args += [action.option_strings[-1], value]
        else:
            args.append(value)
    for group in leaf_parser(command)._mutually_exclusive_groups:
        if group.required:
            args += [group._group_actions[0].option_strings[-1], "۰۰۱۲۳۴۵۶۷۸"]
    return args


JUNK_COMMANDS = [c for c in COMMANDS if c not in DOES_REAL_WORK_WITH_JUNK]


@pytest.mark.parametrize("command", JUNK_COMMANDS, ids=[" ".join(c) for c in JUNK_COMMANDS])
def test_every_command_refuses_junk_clearly(command, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NOSKHE_PASSPHRASE", "some passphrase")
    for var in ("NOSKHE_PIN", "NOSKHE_TRUST_LIST", "NOSKHE_EXCHANGE_URL", "NOSKHE_TOKEN_LABEL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NOSKHE_PKCS11_MODULE", str(tmp_path / "no-such-module.so"))
    empty = tmp_path / "empty"
    argv = ["--data-dir", str(empty), *command, *junk_arguments(command, tmp_path)]
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    text = out.out + out.err
    assert code == 1, f"{argv} → {code}: {text}"
    assert "Traceback" not in text and "internal error" not in text
    assert len(out.err.strip().splitlines()) == 1, out.err
    assert not (empty / "crash.log").exists()


@pytest.mark.parametrize("flag", ["--national-code", "--fida", "--unique-id", "--newborn", "--hid", "--tracking"])
def test_an_empty_lookup_value_is_refused_before_the_seal_is_asked(flag, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NOSKHE_PASSPHRASE", "some passphrase")
    for var in ("NOSKHE_FACILITY_P12", "NOSKHE_FACILITY_TOKEN", "NOSKHE_EXCHANGE_URL"):
        monkeypatch.delenv(var, raising=False)
    data = tmp_path / "pharmacy"
    assert main(["--data-dir", str(data), "init", "--role", "pharmacy", "--facility", "12345678"]) == 0
    capsys.readouterr()
    code = main(["--data-dir", str(data), "rx", "retrieve", flag, ""])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    assert "empty" in err and "seal" not in err  # the value's fault, said before any token is asked
    assert not (data / "crash.log").exists()
