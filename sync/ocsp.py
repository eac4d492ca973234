"""OCSP over HTTP (RFC 6960 appendix A): the transport `smartcard.status.StatusChecker` asks through.

The reference exchange answers at `POST {exchange}/ocsp` (`exchange.ocsp`); a real health CA names its
responder in its certificates, and `NOSKHE_OCSP_URL` points there. OCSP needs no login: the answer is signed
by the CA or its delegated responder, which `smartcard.ocsp` checks. Timeouts are short — a signature waits
for this answer, and offline it falls back to the CRL at once.
"""

from __future__ import annotations

import requests

from smartcard.ocsp import OcspUnavailable

CONNECT_TIMEOUT = 1.5
READ_TIMEOUT = 4.0


class OcspClient:
    """Posts DER OCSP requests to `url` (the responder's own address) and returns the DER answers."""

    def __init__(
        self,
        url: str,
        *,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
        verify: bool | str = True,
    ) -> None:
        self.url, self.timeout, self.verify = url, timeout, verify
        self._session = requests.Session()

    @classmethod
    def for_exchange(cls, base_url: str, **options: object) -> OcspClient:
        """The responder the reference exchange runs at `base_url` + `/ocsp`."""
        return cls(base_url.rstrip("/") + "/ocsp", **options)  # type: ignore[arg-type]

    def ocsp(self, request: bytes) -> bytes:
        """The responder's DER answer to the DER `request`. Raises `OcspUnavailable` when no answer comes
        (unreachable, timed out, a server error or something that is not an OCSP response)."""
        try:
            r = self._session.post(
                self.url,
                data=request,
                headers={"Content-Type": "application/ocsp-request", "Accept": "application/ocsp-response"},
                timeout=self.timeout,
                verify=self.verify,
            )
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            self._session.close()
            raise OcspUnavailable(
                f"The OCSP responder at {self.url} did not answer ({type(exc).__name__}).",
                "پاسخ‌گوی OCSP پاسخ نداد.",
            ) from None
        if r.status_code != 200 or not r.content:
            raise OcspUnavailable(
                f"The OCSP responder at {self.url} answered {r.status_code}.",
                f"پاسخ‌گوی OCSP پاسخ {r.status_code} داد.",
            )
        return r.content


__all__ = ["OcspClient"]
