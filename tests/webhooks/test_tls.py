"""The connection is pinned to the vetted address, but TLS still speaks to the hostname: SNI names it and the
certificate must be valid for it."""
import datetime as dt
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from commerce.webhooks import client
from tests.webhooks.receiver import Receiver


def certificate_for(name: str, folder) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.fixture
def tls_receiver(tmp_path, local_receivers, monkeypatch):
    """An https receiver on 127.0.0.1 whose certificate names `erp.example`, trusted by this process (as a real
    CA's would be), recording the server names clients ask for."""
    cert, key = certificate_for("erp.example", tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", cert)
    receiver = Receiver()
    receiver.server_names = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: receiver.server_names.append(name)
    receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
    yield receiver
    receiver.close()


def test_tls_names_the_host_and_verifies_its_certificate(tls_receiver, fake_dns):
    fake_dns["erp.example"] = ["127.0.0.1"]
    answer = client.post(f"https://erp.example:{tls_receiver.port}/hook", b"{}", {})
    assert answer.status == 200 and tls_receiver.server_names == ["erp.example"]


def test_a_certificate_for_another_name_is_refused(tls_receiver, fake_dns):
    fake_dns["shop-erp.example"] = ["127.0.0.1"]
    with pytest.raises(client.SendFailed, match="certificate"):
        client.post(f"https://shop-erp.example:{tls_receiver.port}/hook", b"{}", {})
    assert tls_receiver.received == []
