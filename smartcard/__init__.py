"""PKCS#11 smart cards and tokens: signing in the three roles, verification, the trust list.

- `tokens`: loading a module, listing tokens, the one thread all token I/O runs on
- `session`: a token's shared session (login, credentials, raw signing, locking); `pins`: PIN policy
- `monitor`: polling for removed tokens
- `signer.TokenSigner`, `p12.P12Signer`: the core's `Signer` on a token / a PKCS#12 file
- `cms`: the CAdES-BES detached format; `verify` and `trustlist.TrustList`: offline verification
- `identity`: who a certificate names and whether it may sign; `documents`: prescription/dispensing signing
- `devtoken`: SoftHSM2 tokens with TEST identities for development and tests
"""
