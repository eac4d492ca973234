"""PKCS#11 smart cards and tokens: signing in the three roles, verification, the trust list.

- `tokens`: loading a module, listing tokens, the one thread all token I/O runs on; `tokeninfo`: what a
  token says about itself
- `session`: a token's shared session (login, credentials, raw signing, locking); `pins`: PIN policy
- `monitor`: polling for removed tokens
- `signer.TokenSigner`, `p12.P12Signer`: the core's `Signer` on a token / a PKCS#12 file
- `cms`: the CAdES-BES detached format; `trustlist.TrustList`: the CAs and CRLs trusted
- `verify`: offline verification, the one `verify` of a signed document under the signature policy
  (`app.signature_policy`) that the client, the paper verifier and the reference exchange call; `errors`:
  one refusal type per cause
- `identity`: who a certificate names and whether it may sign; `documents`: prescription/dispensing signing
- `devtoken`: SoftHSM2 tokens with TEST identities for development and tests
"""
