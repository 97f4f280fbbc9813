"""Import and export through a real Daphne process: the export streams, and a huge
upload without a Content-Length (which the middleware cannot judge) is refused with a 4xx."""

import http.client
import json
import uuid
from urllib.parse import urlsplit

import pytest

from budgetpay.testing.servers import http_json, register

pytestmark = pytest.mark.e2e

BOUNDARY = "budgetpay-e2e-boundary"


def sign_up(server) -> tuple[str, int]:
    token = register(server.url, f"ledger-{uuid.uuid4().hex[:8]}@example.com", "e2e-long-password-77")["access"]
    status, accounts = http_json(server.url, "GET", "/api/v1/accounts", token=token)
    assert status == 200
    return token, accounts["results"][0]["id"]


def multipart_head(account: int) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="account"\r\n\r\n{account}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="s.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()


def connect(server) -> http.client.HTTPConnection:
    address = urlsplit(server.url)
    return http.client.HTTPConnection(address.hostname, address.port, timeout=60)


def test_import_then_streamed_export(daphne_server):
    token, account = sign_up(daphne_server)
    csv_body = b"Date,Description,Amount\n" + b"".join(
        b"2026-01-%02d,Row %d,-1.50\n" % (day, day) for day in range(1, 29)
    )
    body = multipart_head(account) + csv_body + f"\r\n--{BOUNDARY}--\r\n".encode()
    connection = connect(daphne_server)
    connection.request(
        "POST",
        "/api/v1/transactions/import",
        body=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    response = connection.getresponse()
    assert response.status == 201
    assert json.loads(response.read())["created"] == 28

    connection.request("GET", "/api/v1/transactions/export?ordering=date", headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/csv; charset=utf-8"
    assert response.getheader("Transfer-Encoding") == "chunked"  # streamed, no Content-Length
    lines = response.read().decode().splitlines()
    assert lines[0].startswith("date,kind,amount")
    assert lines[1].startswith("2026-01-01,expense,1.50")
    assert len(lines) == 29


def test_a_50_megabyte_chunked_upload_is_refused_and_the_server_carries_on(daphne_server):
    token, account = sign_up(daphne_server)

    def body():
        yield multipart_head(account) + b"Date,Description,Amount\n"
        row = b"2026-01-01,Padding row,-1.00\n" * 1000
        for _ in range(50 * 1024 * 1024 // len(row) + 1):
            yield row
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    connection = connect(daphne_server)
    connection.request(
        "POST",
        "/api/v1/transactions/import",
        body=body(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        encode_chunked=True,
    )
    response = connection.getresponse()
    # Django reads a body without Content-Length as empty, so no file arrives at all.
    assert 400 <= response.status < 500
    assert json.loads(response.read())["message"]
    status, listed = http_json(daphne_server.url, "GET", "/api/v1/transactions", token=token)
    assert (status, listed["count"]) == (200, 0)
