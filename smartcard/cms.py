"""CMS SignedData, CAdES-BES, detached: the one signature format Noskhe produces.

Signed attributes: content-type, message-digest, signing-time and signing-certificate-v2 (pyHanko's CAdES
attribute set); SHA-256 throughout; the signer's certificate is embedded, the CA's is not (verifiers take
it from their trust list). Verifies with `openssl cms -verify -binary -inform DER -content FILE
-CAfile ca.pem -purpose any`.
"""

from __future__ import annotations

import datetime as dt

from asn1crypto import algos
from pyhanko.sign.signers import Signer
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

from smartcard._aio import run_sync

DIGEST = "sha256"


def pss_sha256() -> algos.SignedDigestAlgorithm:
    """RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt: the parameters tokens commonly accept."""
    sha256 = {"algorithm": "sha256"}
    return algos.SignedDigestAlgorithm(
        {
            "algorithm": "rsassa_pss",
            "parameters": algos.RSASSAPSSParams(
                {
                    "hash_algorithm": sha256,
                    "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": sha256},
                    "salt_length": 32,
                }
            ),
        }
    )


def sign_detached(signer: Signer, data: bytes, *, signing_time: dt.datetime) -> bytes:
    """DER of a detached CAdES-BES signature over `data`, made by any pyHanko `Signer`.

    Whatever the signer raises (TokenRemoved, …) propagates; then no signature exists."""
    info = run_sync(
        signer.async_sign_general_data(
            data,
            DIGEST,
            detached=True,
            use_cades=True,
            signed_attr_settings=PdfCMSSignedAttributes(signing_time=signing_time),
        )
    )
    return bytes(info.dump())


def signed_attribute_types(cms_der: bytes) -> list[str]:
    """Names of the signed attributes of the (first) signer, for checks and diagnostics."""
    from asn1crypto import cms

    signer_info = cms.ContentInfo.load(cms_der)["content"]["signer_infos"][0]
    return [a["type"].native for a in signer_info["signed_attrs"]]
