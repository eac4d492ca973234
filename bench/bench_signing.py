"""Signatures per second through SoftHSM2: a raw token signature, the same wrapped as CAdES-BES CMS, and a
full `TokenSigner.sign` (certificate checks included), for RSA-2048 and EC P-256; plus offline verification.

    python bench/bench_signing.py [--seconds 1.5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from measure import rate

from app.signing import SignatureRole
from smartcard import devtoken
from smartcard.cms import sign_detached
from smartcard.config import SOFTHSM_MODULE, SmartcardConfig
from smartcard.signer import TokenSigner, _TokenCmsSigner, choose_operation
from smartcard.trustlist import TrustList

DOC = ('{"resourceType":"Bundle","entry":[' + ",".join(['{"item":"آموکسی‌سیلین ۵۰۰"}'] * 20) + "]}").encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="time per measurement")
    args = parser.parse_args()
    if not os.path.exists(SOFTHSM_MODULE):
        print(f"SoftHSM2 not installed ({SOFTHSM_MODULE}); nothing to measure")
        return 1
    with tempfile.TemporaryDirectory(prefix="noskhe-bench-") as tmp:
        tokens = devtoken.init(tmp)
        os.environ["SOFTHSM2_CONF"] = str(tokens.softhsm_conf)
        from smartcard.tokens import Pkcs11Module

        module = Pkcs11Module.load(SmartcardConfig(module_path=SOFTHSM_MODULE))
        trust = TrustList.from_file(tokens.trust_list)
        print(f"document {len(DOC)} bytes; {args.seconds:.1f} s per figure; SoftHSM2 via {SOFTHSM_MODULE}")
        print(f"{'key':<12}{'raw sign/s':>12}{'CMS sign/s':>12}{'full sign/s':>13}{'verify/s':>10}{'CMS/raw':>9}  CMS bytes")
        cases = [("RSA-2048", "noskhe-gp", "111111", SignatureRole.PRESCRIBER),
                 ("EC P-256", "noskhe-pharmacist", "222222", SignatureRole.PHARMACIST)]
        for name, label, pin, role in cases:
            session = module.session(label)
            session.login(pin)
            credential = session.credentials()[0]
            cms_signer = _TokenCmsSigner(session, credential, rsa_pss=False)
            spec = choose_operation(cms_signer.get_signature_mechanism_for_digest("sha256"), session.mechanisms)
            # what the token signs inside a CMS: ~100 bytes of signed attributes (hashed here when raw)
            payload = bytes(110) if spec.pre_sign_transform is None else spec.pre_sign_transform(bytes(110))

            def raw() -> bytes:
                return session.submit_sign(credential, payload, spec.sign_kwargs).result()

            def cms() -> bytes:
                return sign_detached(cms_signer, DOC, signing_time=dt.datetime.now(dt.UTC))

            full = TokenSigner(session, role, trust)
            sample = full.sign(DOC).cms
            r_raw, r_cms = rate(raw, args.seconds), rate(cms, args.seconds)
            r_full = rate(lambda: full.sign(DOC), args.seconds)
            r_verify = rate(lambda: trust.verify(DOC, sample), args.seconds)
            print(f"{name:<12}{r_raw:>12.0f}{r_cms:>12.0f}{r_full:>13.0f}{r_verify:>10.0f}{r_raw / r_cms:>8.1f}x  {len(sample)}")
            session.lock()
        module.close()
    print("CMS/raw: time of one CMS signature over one raw token signature (pyHanko wrapping overhead).")
    print("full sign adds the certificate checks (validity, chain, CRL, role, holder) done before every signature.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
