"""CMS SignedData, CAdES-BES, detached: the one signature format Noskhe produces.

Signed attributes: content-type, message-digest, signing-time and signing-certificate-v2 (pyHanko's CAdES
attribute set); SHA-256 throughout; the signer's certificate is embedded, the CA's is not (verifiers take
it from their trust list). Verifies with `openssl cms -verify -binary -inform DER -content FILE
-CAfile ca.pem -purpose any`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.general import as_signing_certificate_v2
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


def _tlv(tag: int, body: bytes) -> bytes:
    """One DER element: tag, definite length, body."""
    n = len(body)
    if n < 0x80:
        return bytes((tag, n)) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(size))) + size + body


_SEQUENCE, _SET, _OCTETS, _OID, _INTEGER = 0x30, 0x31, 0x04, 0x06, 0x02
_ID_DATA = cms.ContentType("data").dump()
_ID_SIGNED_DATA = cms.ContentType("signed_data").dump()
_V1 = core.Integer(1).dump()
_SHA256 = algos.DigestAlgorithm({"algorithm": DIGEST}).dump()
_CONTENT_TYPE_ATTR = cms.CMSAttribute({"type": "content_type", "values": ["data"]}).dump()
_SIGNING_TIME = cms.CMSAttributeType("signing_time").dump()
_MESSAGE_DIGEST = cms.CMSAttributeType("message_digest").dump()


@dataclass(frozen=True)
class SignerCertificate:
    """What every signature by one certificate repeats, as DER worked out once: the certificate itself
    (embedded), the signer identifier (issuer and serial number) and the signing-certificate-v2 attribute
    (the certificate's SHA-256 with its issuer and serial)."""

    certificate: bytes
    sid: bytes
    signing_certificate_v2: bytes

    @staticmethod
    @functools.lru_cache(maxsize=64)
    def of(der: bytes) -> SignerCertificate:
        """The parts for the certificate `der` (DER), remembered per certificate."""
        cert = asn1_x509.Certificate.load(der)
        sid = cms.IssuerAndSerialNumber({"issuer": cert.issuer, "serial_number": cert.serial_number})
        ess = cms.CMSAttribute(
            {"type": "signing_certificate_v2", "values": [as_signing_certificate_v2(cert, DIGEST)]}
        )
        return SignerCertificate(der, sid.dump(), ess.dump())


def _time(moment: dt.datetime) -> bytes:
    """The signing time as CMS `Time`: UTCTime through 2049, GeneralizedTime after (RFC 5652 §11.3)."""
    moment = moment.astimezone(dt.UTC)
    if 1950 <= moment.year < 2050:
        return _tlv(0x17, moment.strftime("%y%m%d%H%M%SZ").encode("ascii"))
    return _tlv(0x18, moment.strftime("%Y%m%d%H%M%SZ").encode("ascii"))


def build_detached(
    signer: SignerCertificate,
    algorithm: algos.SignedDigestAlgorithm,
    sign_raw: Callable[[bytes], bytes],
    data: bytes,
    *,
    signing_time: dt.datetime,
) -> bytes:
    """DER of a detached CAdES-BES signature over `data`, byte for byte what `sign_detached` (pyHanko)
    makes for the same key, time and data: signed attributes content-type, signing-time, message-digest
    and signing-certificate-v2 (in that order), SHA-256, the signer's certificate embedded, version 1
    throughout. Assembled from DER pieces worked out once per certificate (`SignerCertificate.of`),
    without pyHanko's general machinery (PDF and PAdES options, timestamps, coroutines), which cost
    most of a signature's time. `sign_raw(to_be_signed)` gives the signature value for `algorithm` over
    the DER of the signed attributes (a token's or a key file's key); whatever it raises propagates, and
    then no signature exists."""
    attrs = b"".join(
        (
            _CONTENT_TYPE_ATTR,
            _tlv(_SEQUENCE, _SIGNING_TIME + _tlv(_SET, _time(signing_time))),
            _tlv(_SEQUENCE, _MESSAGE_DIGEST + _tlv(_SET, _tlv(_OCTETS, hashlib.sha256(data).digest()))),
            signer.signing_certificate_v2,
        )
    )
    signature = sign_raw(_tlv(_SET, attrs))  # signed as a SET OF, carried as [0] IMPLICIT
    info = _tlv(
        _SEQUENCE,
        b"".join((_V1, signer.sid, _SHA256, _tlv(0xA0, attrs), algorithm.dump(), _tlv(_OCTETS, signature))),
    )
    signed_data = _tlv(
        _SEQUENCE,
        b"".join(
            (
                _V1,
                _tlv(_SET, _SHA256),
                _tlv(_SEQUENCE, _ID_DATA),
                _tlv(0xA0, signer.certificate),
                _tlv(_SET, info),
            )
        ),
    )
    return _tlv(_SEQUENCE, _ID_SIGNED_DATA + _tlv(0xA0, signed_data))


def signed_attribute_types(cms_der: bytes) -> list[str]:
    """Names of the signed attributes of the (first) signer, for checks and diagnostics."""
    signer_info = cms.ContentInfo.load(cms_der)["content"]["signer_infos"][0]
    return [a["type"].native for a in signer_info["signed_attrs"]]
