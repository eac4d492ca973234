"""`noskhe demo [--as clinic|pharmacy|both] [--out DIR]`: the desktop against a local reference exchange with
TEST tokens and demo data (`ui.demo.run`); the console and the login screen give the PINs.
`noskhe demo --headless [--json] [--out DIR]`: the whole e-prescription story, offline to online.
`noskhe demo --screenshots DIR`: each main screen of the desktop, rendered against the same demo world to
PNGs in DIR (`ui.screenshots.render_demo`), without a display.

Needs SoftHSM2 (Debian: `apt install softhsm2`). Everything happens in a temporary directory: TEST tokens, a
reference exchange on a free loopback port, a clinic and two pharmacies. The paper prescriptions and receipts
it prints are kept in an output directory the report names: DIR (a new `noskhe-demo-<time>` directory inside
it when DIR is not empty, so the same --out can be used again, with the workspace kept in its `workspace/`),
or by default a new `noskhe-demo-<time>` directory in the system's temporary directory. With poppler-utils
and zbar-tools installed, the pharmacy reads the paper QR from the rendered page. See `exchange.demo` for
the steps.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo", help="open the desktop (or play the whole story) against a local reference exchange"
    )
    p.add_argument("--headless", action="store_true", help="no window: play the whole story, print each step")
    p.add_argument(
        "--as", dest="as_", choices=("clinic", "pharmacy", "both"), default="clinic",
        help="whose window opens (default: the clinic's)",
    )  # fmt: skip
    p.add_argument("--quit-after", type=float, help=argparse.SUPPRESS)  # tests: close the window by itself
    p.add_argument("--json", action="store_true", help="the report as JSON")
    p.add_argument(
        "--out",
        help="put the printed PDFs (and the workspace: tokens, stores, exchange data) in this directory; "
        "a new timestamped directory inside it when it is not empty",
    )
    p.add_argument(
        "--screenshots",
        metavar="DIR",
        help="render each main screen of the desktop to a PNG in DIR (no display needed) and exit",
    )
    p.set_defaults(handler=cmd_demo)


def cmd_demo(args: Any, ctx: Any) -> int:
    from exchange import demo, devworld, seed

    if args.screenshots:
        screens = importlib.import_module("ui.screenshots")  # as `noskhe` opens the desktop (app/cli)
        out = Path(args.screenshots)
        files = screens.render_demo(out, demo.World, devworld, lang=ctx.lang, say=print, seed=seed)
        for f in files:
            print(f"    {f}")
        return 0 if files else 1
    if not (args.headless or args.json):  # the window, as `noskhe` opens it
        roles = ("clinic", "pharmacy") if args.as_ == "both" else (args.as_,)
        root = demo.output_dir(Path(args.out)) if args.out else None
        window = importlib.import_module("ui.demo")
        return int(
            window.run(
                demo, devworld, seed, roles=roles, lang=ctx.lang, root=root, quit_after=args.quit_after
            )
        )
    return demo.run(Path(args.out) if args.out else None, args.json)
