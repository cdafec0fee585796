"""Throwaway certificate authorities and certificates for the TLS tests.

Each call writes PEM files into a directory and returns their paths. Keys
are EC P-256: quick to make, and accepted by OpenSSL's default security
level.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TLS_NAME = "embedded.aerospike.test"
# The common name of the client certificate that PKI logins present.
PKI_USER = "pki-user"


@dataclass(frozen=True)
class Authority:
    """A CA: its certificate file, and what it needs to sign others."""

    certfile: Path
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class Issued:
    certfile: Path
    keyfile: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _validity(builder: x509.CertificateBuilder) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.timezone.utc)
    return builder.not_valid_before(
        now - datetime.timedelta(minutes=5)
    ).not_valid_after(now + datetime.timedelta(days=1))


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def make_authority(directory: Path, name: str) -> Authority:
    """Create a self-signed CA called ``name``."""
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    )
    cert = _validity(builder).sign(key, hashes.SHA256())
    certfile = directory / f"{name}.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Authority(certfile, cert, key)


def issue(
    authority: Authority,
    directory: Path,
    common_name: str,
    *,
    server: bool,
    dns_names: tuple[str, ...] = (),
    addresses: tuple[str, ...] = (),
) -> Issued:
    """Sign a server or client certificate for ``common_name``."""
    key = ec.generate_private_key(ec.SECP256R1())
    usage = (
        ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(authority.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                authority.key.public_key()
            ),
            critical=False,
        )
    )
    alt_names: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
    alt_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    if alt_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(alt_names), critical=False
        )
    cert = _validity(builder).sign(authority.key, hashes.SHA256())
    stem = common_name.replace(".", "_")
    certfile, keyfile = directory / f"{stem}.crt", directory / f"{stem}.key"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(keyfile, key)
    return Issued(certfile, keyfile)


@dataclass(frozen=True)
class CertSet:
    """Everything the TLS tests use: the CA, a stranger CA, the server's
    certificate (TLS name and 127.0.0.1), client certificates."""

    ca: Authority
    stranger_ca: Authority
    server: Issued
    client: Issued
    pki_user: Issued
    stranger_client: Issued


def make_pki(directory: Path, pki_user: str = PKI_USER) -> CertSet:
    ca = make_authority(directory, "test-ca")
    stranger = make_authority(directory, "stranger-ca")
    server = issue(
        ca,
        directory,
        TLS_NAME,
        server=True,
        dns_names=(TLS_NAME,),
        addresses=("127.0.0.1",),
    )
    return CertSet(
        ca=ca,
        stranger_ca=stranger,
        server=server,
        client=issue(ca, directory, "app-client", server=False),
        pki_user=issue(ca, directory, pki_user, server=False),
        stranger_client=issue(stranger, directory, "intruder", server=False),
    )


def server_tls(certs: CertSet, **extra: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "certfile": str(certs.server.certfile),
        "keyfile": str(certs.server.keyfile),
        "cafile": str(certs.ca.certfile),
        "name": TLS_NAME,
    }
    settings.update(extra)
    return settings


def client_tls(certs: CertSet, cert: Any = None, ca: Any = None) -> dict[str, Any]:
    settings = {"cafile": str((ca or certs.ca).certfile)}
    if cert is not None:
        settings["certfile"] = str(cert.certfile)
        settings["keyfile"] = str(cert.keyfile)
    return settings
