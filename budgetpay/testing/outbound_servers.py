"""Servers that budgetpay.outbound calls in tests, each on 127.0.0.1 and a free port: one that
records every connection and request and answers what the test says (over TLS too, with a
certificate of a test authority for any host name), one that accepts and never answers, and
one that answers a byte at a time. Calls to them need 127.0.0.0/8 in WEBHOOKS_ALLOWED_NETWORKS."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# An answer: (status, headers, body); a Content-Length is added unless `headers` has one or
# the server answers close-delimited.
Answer = tuple[int, list[tuple[str, str]], bytes]


def _ok(request: dict) -> Answer:
    return 200, [("Content-Type", "text/plain")], b"ok"


class RecordingServer:
    """An HTTP (or, given `tls`, HTTPS) server that counts connections, records requests
    (method, path, headers, body) and answers with `answer(request)`."""

    def __init__(
        self,
        answer: Callable[[dict], Answer] = _ok,
        *,
        tls: ssl.SSLContext | None = None,
        content_length: bool = True,
    ) -> None:
        self.answer = answer
        self.connections = 0
        self.requests: list[dict] = []
        self.server_names: list[str | None] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                recorder.requests.append(request)
                status, headers, data = recorder.answer(request)
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                if content_length and not any(name.lower() == "content-length" for name, _ in headers):
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def verify_request(self, request, client_address) -> bool:
                recorder.connections += 1
                return True

            def finish_request(self, request, client_address) -> None:
                if tls is None:
                    super().finish_request(request, client_address)
                    return
                try:
                    tls_socket = tls.wrap_socket(request, server_side=True)
                except (OSError, ssl.SSLError):
                    return  # the client refused our certificate, or did not speak TLS
                with tls_socket:
                    super().finish_request(tls_socket, client_address)

            def handle_error(self, request, client_address) -> None:
                pass  # a client that hung up early is not the test's failure

        if tls is not None:
            tls.sni_callback = lambda _socket, name, _context: self.server_names.append(name)
        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> RecordingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class SilentServer:
    """A port that accepts connections (the kernel does, from its backlog) and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


class TricklingServer:
    """Answers one connection with `head` and then `trickle`, one byte every `interval` seconds,
    until the client hangs up or `trickle` runs out (then it closes)."""

    def __init__(self, head: bytes, trickle: bytes, interval: float = 0.05) -> None:
        self.head, self.trickle, self.interval = head, trickle, interval
        self.stop = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(30)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        try:
            connection, _ = self.sock.accept()
        except OSError:
            return
        with connection:
            try:
                _read_request(connection)
                connection.sendall(self.head)
                for byte in self.trickle:
                    if self.stop.wait(self.interval):
                        return
                    connection.sendall(bytes([byte]))
            except OSError:
                return

    def __enter__(self) -> TricklingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.sock.close()
        self.thread.join(timeout=10)


def _read_request(connection: socket.socket) -> bytes:
    """The whole request (head and Content-Length body): a server that closed with some of it
    unread would reset the connection rather than close it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
        0,
    )
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def certificate_authority(directory: Path, host: str) -> tuple[Path, ssl.SSLContext]:
    """A certificate authority of the test's own (its PEM file, for SSL_CERT_FILE) and a server
    context whose certificate it signed for `host`."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Budget Pay test CA"))
        .issuer_name(_name("Budget Pay test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(host))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path = directory / "ca.pem"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    chain_path = directory / "server.pem"
    chain_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        + cert.public_bytes(serialization.Encoding.PEM)
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain_path)
    return ca_path, context
