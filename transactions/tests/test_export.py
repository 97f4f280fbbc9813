import csv
import io
import json
from datetime import date
from functools import partial

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import StreamingHttpResponse
from django.test import AsyncClient

from budgetpay.testing.factories import make_account, make_transaction
from budgetpay.testing.people import access_token_for
from transactions.csv_export import HEADER
from transactions.models import Transaction

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/transactions/export"


def read_csv(response) -> list[dict[str, str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def ledger(user, main_account, food, salary):
    savings = make_account(user, name="Savings")
    main = partial(make_transaction, main_account)
    return [
        main(amount="1234.50", kind="income", on=date(2026, 1, 31), category=salary, description="Pay"),
        main(
            amount="12.00",
            on=date(2026, 2, 1),
            category=food,
            description='=HYPERLINK("x")',
            payee="Deli",
            tags=["lunch", "work"],
        ),
        main(amount="300.00", kind="transfer", on=date(2026, 2, 2), transfer_account=savings, description="Saving"),
        make_transaction(savings, amount="0.10", on=date(2026, 2, 3), description="Fee", notes="line one\nline two"),
    ]


def test_the_export_is_a_csv_attachment_of_the_list(auth_client, ledger):
    response = auth_client.get(EXPORT, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="transactions-')
    rows = read_csv(response)
    assert list(rows[0]) == list(HEADER)
    assert [(row["date"], row["kind"], row["amount"], row["account"]) for row in rows] == [
        ("2026-02-03", "expense", "0.10", "Savings"),
        ("2026-02-02", "transfer", "300.00", "Main account"),
        ("2026-02-01", "expense", "12.00", "Main account"),
        ("2026-01-31", "income", "1234.50", "Main account"),
    ]
    assert rows[1]["transfer_account"] == "Savings"
    assert (rows[2]["category"], rows[2]["payee"], rows[2]["tags"]) == ("Food", "Deli", "lunch, work")
    assert rows[2]["description"] == '\'=HYPERLINK("x")'  # kept as text in spreadsheets
    assert rows[0]["notes"] == "line one\nline two"


def test_the_export_takes_the_list_filters(auth_client, ledger, main_account):
    spending = read_csv(auth_client.get(EXPORT, {"kind": "expense"}))
    assert [row["amount"] for row in spending] == ["0.10", "12.00"]
    income = read_csv(auth_client.get(EXPORT, {"kind": "income"}))
    assert [row["amount"] for row in income] == ["1234.50"]
    dated = read_csv(
        auth_client.get(EXPORT, {"date_from": "2026-02-01", "date_to": "2026-02-02", "ordering": "amount"})
    )
    assert [row["amount"] for row in dated] == ["12.00", "300.00"]
    assert [row["description"] for row in read_csv(auth_client.get(EXPORT, {"search": "fee"}))] == ["Fee"]


def test_bad_filters_are_a_json_400_even_when_csv_was_asked_for(auth_client, ledger):
    response = auth_client.get(EXPORT, {"date_from": "soon"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["date_from"]


def test_an_empty_export_still_has_its_header(auth_client):
    assert read_csv(auth_client.get(EXPORT)) == []
    text = b"".join(auth_client.get(EXPORT).streaming_content).decode()
    assert text.strip() == ",".join(HEADER)


def test_an_export_reimports_cleanly_into_another_account(auth_client, user, ledger):
    exported = b"".join(auth_client.get(EXPORT).streaming_content)
    target = make_account(user, name="Restored")
    upload = SimpleUploadedFile("export.csv", exported, content_type="text/csv")
    response = auth_client.post(
        "/api/v1/transactions/import", {"file": upload, "account": target.pk, "dry_run": "true"}
    )
    assert response.status_code == 200, response.json()
    report = response.json()
    assert (report["layout"], report["errors"], report["new"], report["duplicates"]) == ("amount_and_kind", [], 4, 0)
    originals = sorted(ledger, key=lambda tx: (tx.date, tx.pk), reverse=True)
    assert [
        (row["date"], row["kind"], row["amount"], row["description"], row["category"]) for row in report["rows"]
    ] == [(tx.date.isoformat(), tx.kind, f"{tx.amount:.2f}", tx.description, tx.category_id) for tx in originals]
    assert report["rows"][1]["transfer_account"] == ledger[2].transfer_account_id
    assert Transaction.objects.filter(account=target).count() == 0

    imported = auth_client.post(
        "/api/v1/transactions/import",
        {
            "file": SimpleUploadedFile("export.csv", exported),
            "account": target.pk,
            "mapping": json.dumps({"notes": "notes"}),
        },
    )
    assert imported.status_code == 201
    fee = Transaction.objects.get(account=target, description="Fee")
    assert (fee.notes, fee.amount) == ("line one\nline two", ledger[3].amount)
    assert Transaction.objects.get(account=target, payee="Deli").tags == ["lunch", "work"]


def test_under_asgi_the_export_streams_asynchronously(user, ledger):
    bearer = {"Authorization": f"Bearer {access_token_for(user)}"}

    async def export() -> tuple[bool, str]:
        response = await AsyncClient().get(EXPORT, {"kind": "expense"}, headers=bearer)
        chunks = [chunk async for chunk in response.streaming_content]
        return response.is_async, b"".join(chunks).decode()

    is_async, text = async_to_sync(export)()
    assert is_async
    assert [row["amount"] for row in csv.DictReader(io.StringIO(text))] == ["0.10", "12.00"]


def test_large_exports_come_in_pieces(auth_client, main_account):
    Transaction.objects.bulk_create(
        Transaction(user=main_account.user, account=main_account, amount=1, date=date(2026, 1, 1), description=f"r{i}")
        for i in range(1200)
    )
    chunks = list(auth_client.get(EXPORT).streaming_content)
    assert len(chunks) == 3
    assert sum(chunk.count(b"\r\n") for chunk in chunks) == 1201
