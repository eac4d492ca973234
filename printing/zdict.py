"""The preset deflate dictionary of paper payload format 1 (fixed forever for that format).

A QR payload is small, so deflate alone finds little to reuse; a dictionary of what every payload tends
to contain saves about a quarter of its bytes. It holds, in this order: the DER skeleton of an X.509
end-entity certificate (name attributes C/O/OU/T/serialNumber/GN/SN/CN, EC P-256 key header, basic
constraints, key usage, extended key usage, key identifiers; key bits and ids removed), the DER skeletons
of two detached CMS SignedData (RSA and ECDSA with SHA-256; content-type, signing-time,
CMS-algorithm-protection, message-digest and signing-certificate-v2 attributes; values empty), and
common Persian dosing words. Changing one byte breaks every printed payload: make a new format instead.
"""

from __future__ import annotations

import base64

_DICTIONARY_B64 = (
    "MIIBnqADAgECAgEBMAoGCCqGSM49BAMCMCcxCzAJBgNVBAYTAklSMQswCQYDVQQKDAJDQTELMAkGA1UEAwwCQ0EwHhcNMjUwMTAx"
    "MDAwMDAwWhcNMjUwMTAxMDAwMDAwWjBjMQswCQYDVQQGEwJJUjEKMAgGA1UECgwBTzELMAkGA1UECwwCT1UxCjAIBgNVBAwMAVQx"
    "CjAIBgNVBAUTATAxCjAIBgNVBCoMAUcxCjAIBgNVBAQMAVMxCzAJBgNVBAMMAkNOMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"
    "o38wfTAMBgNVHRMBAf8EAjAAMA4GA1UdDwEB/wQEAwIGwDAdBgNVHSUEFjAUBggrBgEFBQcDBAYIKwYBBQUHAwIwHQYDVR0OBBYE"
    "FDAfBgNVHSMEGDAWgBQwggEnBgkqhkiG9w0BBwKgggEYMIIBFAIBATEPMA0GCWCGSAFlAwQCAQUAMAsGCSqGSIb3DQEHATGB8DCB"
    "7QIBATAXMBIxEDAOBgNVBAMMB1Rlc3QgQ0ECAQEwDQYJYIZIAWUDBAIBBQCgga4wDwYJKoZIhvcNAQkEMQIEADAYBgkqhkiG9w0B"
    "CQMxCwYJKoZIhvcNAQcBMBwGCSqGSIb3DQEJBTEPFw0yNTAxMDEwMDAwMDBaMC0GCSqGSIb3DQEJNDEgMB4wDQYJYIZIAWUDBAIB"
    "BQChDQYJKoZIhvcNAQELBQAwNAYLKoZIhvcNAQkQAi8xJTAjMCEwHwQAMBswFqQUMBIxEDAOBgNVBAMMB1Rlc3QgQ0ECAQEwDQYJ"
    "KoZIhvcNAQELBQAEADCCASEGCSqGSIb3DQEHAqCCARIwggEOAgEBMQ8wDQYJYIZIAWUDBAIBBQAwCwYJKoZIhvcNAQcBMYHqMIHn"
    "AgEBMBcwEjEQMA4GA1UEAwwHVGVzdCBDQQIBATANBglghkgBZQMEAgEFAKCBqzAPBgkqhkiG9w0BCQQxAgQAMBgGCSqGSIb3DQEJ"
    "AzELBgkqhkiG9w0BBwEwHAYJKoZIhvcNAQkFMQ8XDTI1MDEwMTAwMDAwMFowKgYJKoZIhvcNAQk0MR0wGzANBglghkgBZQMEAgEF"
    "AKEKBggqhkjOPQQDAjA0BgsqhkiG9w0BCRACLzElMCMwITAfBAAwGzAWpBQwEjEQMA4GA1UEAwwHVGVzdCBDQQIBATAKBggqhkjO"
    "PQQDAgQA2YfYsSDYs9in2LnYqiDbjNqpINiv2Ygg2LPZhyDZhtuM2YUg2YLYsdi1INqp2b7Ys9mI2YQg2LHZiNiy24wg2KjYp9ix"
    "INiv2LEg2LXZiNix2Kog2K/YsdivINiq2Kgg2LTYqCDYtdio2K0g2LjZh9ixINi52LXYsSDYudiv2K8g2YLYp9i02YIg2obYp9uM"
    "4oCM2K7ZiNix24wg2LrYsNin2K7ZiNix24wg2b7YsyDYp9iyINi62LDYpyDZgtio2YQg2YbYp9i02KrYpyDYqtinINm+2KfbjNin"
    "2YYg2K/ZiNix2Ycg2YXbjNmE24zigIzar9ix2YUg2YXbjNmE24zigIzZhNuM2KrYsSDZgti32LHZhyDZvtin2YEg2KfYs9iq2YbY"
    "tNin2YIg2YXZiNi22LnbjCDYqNmF2KfZhNuM2K8g2LTYsdio2Kog2KLZhdm+2YjZhCDYudi22YTYp9mG24wg2YjYsduM2K/bjCDY"
    "stuM2LEg2LLYqNin2YbbjCDZh9mB2KrZhyDYsdmI2LIg2YXYp9mHINux27Lbs9u027Xbttu327jbuduw"
)

ZDICT_V1 = base64.b64decode(_DICTIONARY_B64)
#: guards against an accidental edit (tests check it)
ZDICT_V1_SHA256 = "6f28099d2b450842f6c162982cee2df0e66aedd8095ffe927ddf767c328ef373"
