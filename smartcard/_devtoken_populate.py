"""Child process of `smartcard.devtoken`: put keys and certificates on freshly initialised SoftHSM2 tokens.

It runs in its own process because SoftHSM2 reads SOFTHSM2_CONF once per process, and the parent may
already have the module loaded with another configuration. Reads a JSON list on stdin:
[{"label", "pin", "key_type": "rsa"|"ec", "key_der": b64 (PKCS#1 / SEC1), "cert_der": b64, "subject_der": b64,
"id": hex}].
"""

from __future__ import annotations

import base64
import json
import sys

import pkcs11
from pkcs11 import Attribute, CertificateType, ObjectClass
from pkcs11.util.ec import decode_ec_private_key
from pkcs11.util.rsa import decode_rsa_private_key


def populate(module: str, tokens: list[dict[str, str]]) -> None:
    lib = pkcs11.lib(module)
    for spec in tokens:
        token = lib.get_token(token_label=spec["label"])
        key_der = base64.b64decode(spec["key_der"])
        key_id = bytes.fromhex(spec["id"])
        attrs = (
            decode_rsa_private_key(key_der) if spec["key_type"] == "rsa" else decode_ec_private_key(key_der)
        )
        attrs.update(
            {
                Attribute.LABEL: spec["label"],
                Attribute.ID: key_id,
                Attribute.TOKEN: True,
                Attribute.PRIVATE: True,
                Attribute.SENSITIVE: True,
                Attribute.EXTRACTABLE: False,
                Attribute.SIGN: True,
            }
        )
        with token.open(rw=True, user_pin=spec["pin"]) as session:
            session.create_object(attrs)
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.VALUE: base64.b64decode(spec["cert_der"]),
                    Attribute.SUBJECT: base64.b64decode(spec["subject_der"]),
                    Attribute.LABEL: spec["label"],
                    Attribute.ID: key_id,
                    Attribute.TOKEN: True,
                }
            )


if __name__ == "__main__":
    populate(sys.argv[1], json.load(sys.stdin))
