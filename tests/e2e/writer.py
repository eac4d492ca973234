"""Write N prescriptions into a new clinic store, signed on the SoftHSM2 tokens (GP + clinic seal).

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
    from exchange import devworld
    from smartcard.config import SmartcardConfig
    from smartcard.signer import TokenSigner
    from smartcard.tokens import Pkcs11Module
    from smartcard.trustlist import TrustList
    from tests.sync import harness

    p = argparse.ArgumentParser()
    p.add_argument("--store", required=True)
    p.add_argument("--trust-list", required=True)
    p.add_argument("--n", type=int, required=True)
    args = p.parse_args(argv)
    trust = TrustList.from_file(args.trust_list)
    module = Pkcs11Module.load(SmartcardConfig.from_env())
    signers = []
    for label, role in (("noskhe-gp", harness.R.PRESCRIBER), ("noskhe-clinic", harness.R.FACILITY)):
        session = module.session(label=label)
        session.login(devworld.PINS[label])
        signers.append(TokenSigner(session, role, trust))
    store = harness.new_store(Path(args.store), devworld.CLINIC, SimpleNamespace(trust_list=args.trust_list))
    start = time.monotonic()
    harness.write_many(store, args.n, signers)
    store.close()
    module.close()
    print(json.dumps({"n": args.n, "seconds": round(time.monotonic() - start, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
