"""Development tokens: a SoftHSM2 configuration, a TEST CA and test identities on tokens, in one directory.

Everything here is a test identity: the CA is "Noskhe TEST CA — not for clinical use", every holder's
name begins with «آزمایشی» (test) and every subject carries O = "Noskhe TEST — not for clinical use".
Keys are made in software and imported (real tokens make their own), so facility seals can also be
written as PKCS#12 files. `init()` takes about a second; tests call it once per session.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from app.signing import SignatureRole
from smartcard.config import SOFTHSM_MODULE
from smartcard.errors import TokenError
from smartcard.trustlist import TrustList

TEST_ORG = "Noskhe TEST — not for clinical use"
SO_PIN = "87654321"
Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def national_code(nine: str) -> str:
    """A valid Iranian national code from its first nine digits (adds the check digit)."""
    s = sum(int(d) * (10 - i) for i, d in enumerate(nine)) % 11
    return nine + str(s if s < 2 else 11 - s)


@dataclass(frozen=True)
class DevIdentity:
    """One test holder. `registration` is the OU ("MC-…", "PL-…", "SIAM-…"); `on_token` puts it on a token
    labelled `label`; `p12_passphrase` also writes DIR/<label>.p12. The rest bends the certificate for tests."""

    label: str
    role: SignatureRole
    name: str
    title: str | None
    registration: str | None
    national_code: str | None = None
    key_type: str = "ec"
    pin: str = "123456"
    on_token: bool = True
    p12_passphrase: str | None = None
    usage: str = "signing"  # or "encipherment": a certificate that must not sign
    valid_from_days: float = -1  # relative to now
    valid_for_days: float = 730
    issuer: str = "ca"  # or "other": a CA that is not in the trust list
    revoked: bool = False


DEMO_IDENTITIES = (
    DevIdentity(
        "noskhe-gp",
        SignatureRole.PRESCRIBER,
        "آزمایشی دکتر سارا احمدی",
        "Physician",
        "MC-123456",
        national_code("001234567"),
        key_type="rsa",
        pin="111111",
    ),
    DevIdentity(
        "noskhe-pharmacist",
        SignatureRole.PHARMACIST,
        "آزمایشی دکتر رضا کریمی",
        "Pharmacist",
        "PL-98765",
        national_code("002345678"),
        pin="222222",
    ),
    DevIdentity(
        "noskhe-clinic",
        SignatureRole.FACILITY,
        "آزمایشی درمانگاه نمونه",
        "Facility",
        "SIAM-11223344",
        pin="333333",
        p12_passphrase="demo-clinic",
    ),
    DevIdentity(
        "noskhe-pharmacy",
        SignatureRole.FACILITY,
        "آزمایشی داروخانه نمونه",
        "Facility",
        "SIAM-22334455",
        pin="444444",
        p12_passphrase="demo-pharmacy",
    ),
)


@dataclass
class DevTokens:
    """What `init()` made: paths, the identities (with PINs) and their certificates."""

    directory: Path
    identities: list[DevIdentity]
    certificates: dict[str, x509.Certificate] = field(default_factory=dict)
    keys: dict[str, Key] = field(default_factory=dict)
    ca_key: Key | None = None
    ca_cert: x509.Certificate | None = None

    @property
    def softhsm_conf(self) -> Path:
        return self.directory / "softhsm2.conf"

    @property
    def ca_pem(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def trust_list(self) -> Path:
        return self.directory / "trustlist.json"

    def p12(self, label: str) -> Path:
        return self.directory / f"{label}.p12"

    def identity(self, label: str) -> DevIdentity:
        return next(i for i in self.identities if i.label == label)

    def env(self) -> dict[str, str]:
        return {
            "SOFTHSM2_CONF": str(self.softhsm_conf),
            "NOSKHE_PKCS11_MODULE": SOFTHSM_MODULE,
            "NOSKHE_TRUST_LIST": str(self.trust_list),
        }


def _name(ident: DevIdentity) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COMMON_NAME, ident.name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, TEST_ORG),
    ]
    if ident.national_code:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, ident.national_code))
    if ident.title:
        attrs.append(x509.NameAttribute(NameOID.TITLE, ident.title))
    if ident.registration:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ident.registration))
    return x509.Name(attrs)


def _usage(signing: bool, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,
        key_encipherment=not signing and not ca,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def make_ca(common_name: str, now: dt.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, TEST_ORG),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(False, ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def issue(
    ident: DevIdentity, key: Key, ca_key: Key, ca_cert: x509.Certificate, now: dt.datetime
) -> x509.Certificate:
    """A certificate for `ident`, bent as `ident` says (validity window, key usage)."""
    start = now + dt.timedelta(days=ident.valid_from_days)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(ident))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=ident.valid_for_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(ident.usage == "signing"), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )  # type: ignore[arg-type]
        .sign(ca_key, hashes.SHA256())
    )


def make_crl(
    ca_key: Key, ca_cert: x509.Certificate, revoked: list[x509.Certificate], now: dt.datetime
) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now - dt.timedelta(hours=1))
        .next_update(now + dt.timedelta(days=30))
    )
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(now - dt.timedelta(minutes=30))
            .build()
        )
    return builder.sign(ca_key, hashes.SHA256())


def _new_key(kind: str) -> Key:
    return rsa.generate_private_key(65537, 2048) if kind == "rsa" else ec.generate_private_key(ec.SECP256R1())


def _softhsm(env: dict[str, str], *args: str) -> None:
    tool = shutil.which("softhsm2-util")
    if tool is None:
        raise TokenError("SoftHSM2 is not installed (Debian: apt install softhsm2).", "SoftHSM2 نصب نیست.")
    done = subprocess.run([tool, *args], check=False, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise TokenError(
            f"softhsm2-util failed: {done.stderr.strip() or done.stdout.strip()}",
            "ساخت توکن آزمایشی ناموفق بود.",
        )


def init(
    directory: str | Path, identities: tuple[DevIdentity, ...] = DEMO_IDENTITIES, *, force: bool = False
) -> DevTokens:
    """Create DIR/softhsm2.conf, DIR/tokens/, DIR/ca.pem, DIR/ca-key.pem, DIR/trustlist.json, DIR/*.p12 and
    one initialised token per identity with `on_token`. An existing DIR/tokens is an error unless `force`."""
    d = Path(directory).resolve()
    tokendir = d / "tokens"
    if tokendir.exists() and any(tokendir.iterdir()):
        if not force:
            raise TokenError(
                f"{d} already holds development tokens; use --force to replace them.",
                f"در {d} از پیش توکن آزمایشی هست؛ برای جایگزینی ‎--force‎ بدهید.",
            )
        shutil.rmtree(tokendir)
    d.mkdir(parents=True, exist_ok=True, mode=0o700)  # a new folder: the owner's only (an existing one kept)
    tokendir.mkdir(exist_ok=True, mode=0o700)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    out = DevTokens(d, list(identities))
    out.ca_key, out.ca_cert = make_ca("Noskhe TEST CA — not for clinical use", now)
    other_key, other_cert = make_ca("Noskhe TEST other CA — untrusted", now)
    conf = f"directories.tokendir = {tokendir}\nobjectstore.backend = file\nlog.level = ERROR\n"
    out.softhsm_conf.write_text(conf)
    env = {**os.environ, "SOFTHSM2_CONF": str(out.softhsm_conf)}
    jobs = []
    for ident in identities:
        key = out.keys[ident.label] = _new_key(ident.key_type)
        issuer_key, issuer_cert = (
            (out.ca_key, out.ca_cert) if ident.issuer == "ca" else (other_key, other_cert)
        )
        cert = out.certificates[ident.label] = issue(ident, key, issuer_key, issuer_cert, now)
        if ident.p12_passphrase:
            out.p12(ident.label).write_bytes(
                pkcs12.serialize_key_and_certificates(
                    ident.label.encode(),
                    key,
                    cert,
                    None,  # type: ignore[arg-type]
                    serialization.BestAvailableEncryption(ident.p12_passphrase.encode()),
                )
            )
        if ident.on_token:
            _softhsm(
                env, "--init-token", "--free", "--label", ident.label, "--pin", ident.pin, "--so-pin", SO_PIN
            )
            key_der = key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
            jobs.append(
                {
                    "label": ident.label,
                    "pin": ident.pin,
                    "key_type": ident.key_type,
                    "id": os.urandom(8).hex(),
                    "key_der": base64.b64encode(key_der).decode(),
                    "cert_der": base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode(),
                    "subject_der": base64.b64encode(cert.subject.public_bytes()).decode(),
                }
            )
    if jobs:
        root = str(Path(__file__).resolve().parent.parent)
        child_env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))}
        done = subprocess.run(
            [sys.executable, "-m", "smartcard._devtoken_populate", SOFTHSM_MODULE],
            check=False,
            input=json.dumps(jobs),
            env=child_env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise TokenError(
                f"Filling the development tokens failed: {done.stderr.strip().splitlines()[-1:]}",
                "پر کردن توکن‌های آزمایشی ناموفق بود.",
            )
    pem = serialization.Encoding.PEM
    out.ca_pem.write_bytes(out.ca_cert.public_bytes(pem))
    (d / "ca-key.pem").write_bytes(
        out.ca_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    for private in (d / "ca-key.pem", *(out.p12(i.label) for i in identities if i.p12_passphrase)):
        os.chmod(private, 0o600)  # keys: the owner's only, in a folder only the owner enters
    revoked = [out.certificates[i.label] for i in identities if i.revoked]
    crl = make_crl(out.ca_key, out.ca_cert, revoked, now)
    trust = TrustList((out.ca_cert,), (crl,), f"dev-{now:%Y%m%dT%H%M%S}", now)
    out.trust_list.write_bytes(trust.to_json())
    return out


def describe(tokens: DevTokens) -> str:
    """The shell lines to export and the test identities with their PINs (test identities only)."""
    lines = [f"export {k}={v}" for k, v in tokens.env().items()]
    lines.append("")
    lines.append("# TEST identities — not for clinical use")
    for i in tokens.identities:
        where = f"token {i.label!r}, PIN {i.pin}" if i.on_token else "no token"
        if i.p12_passphrase:
            where += f"; {tokens.p12(i.label).name}, passphrase {i.p12_passphrase}"
        lines.append(f"# {i.role.value:<10} {i.registration or '':<13} {where}")
    return "\n".join(lines)
