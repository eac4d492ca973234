"""Write N prescriptions into a new clinic store, signed on the SoftHSM2 tokens (GP + clinic seal): a
clinic workstation whose settings name its two tokens, PINs from a fixed prompter.

Runs in its own process (SoftHSM2 reads SOFTHSM2_CONF once per process):

    python -m tests.e2e.writer --store DIR --trust-list FILE --n 1000
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace


def main(argv: list[str]) -> int:
    from app.prompter import FixedPrompter
    from app.services.settings import configure
    from app.workstation import Workstation
    from exchange import devworld
    from tests.sync import harness

    p = argparse.ArgumentParser()
    p.add_argument("--store", required=True)
    p.add_argument("--trust-list", required=True)
    p.add_argument("--n", type=int, required=True)
    args = p.parse_args(argv)
    site = devworld.CLINIC
    store = harness.new_store(Path(args.store), site, SimpleNamespace(trust_list=args.trust_list))
    ws = Workstation(store, FixedPrompter(pins=devworld.PINS, passphrases={"store": harness.PASSPHRASE}))
    configure(ws, {"signing.user_token": site.user_token, "signing.facility_token": site.facility_token})
    ws.signers()  # log in to both tokens before the clock starts
    start = time.monotonic()
    harness.write_many(ws, args.n)
    ws.close()
    print(json.dumps({"n": args.n, "seconds": round(time.monotonic() - start, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
