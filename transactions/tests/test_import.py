import math
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIRequestFactory, force_authenticate

from budgetpay.testing.factories import make_account
from budgetpay.testing.statements import IMPORT, import_report, post_csv
from transactions.models import Transaction
from transactions.views import TransactionViewSet

pytestmark = pytest.mark.django_db

SIGNED = """Date,Description,Amount
2026-01-02,Coffee shop,-3.50
2026-01-03,ACME payroll,"2,500.00"
2026-01-04,Groceries,(45.10)
"""


def imported(account) -> list[tuple]:
    return list(
        Transaction.objects.filter(account=account)
        .order_by("date", "id")
        .values_list("date", "kind", "amount", "description", "category_id")
    )


def test_signed_amounts_negative_is_expense_positive_is_income(auth_client, main_account):
    report = import_report(auth_client, main_account, SIGNED)
    assert (report["layout"], report["created"], report["new"], report["duplicates"], report["errors"]) == (
        "signed_amount",
        3,
        3,
        0,
        [],
    )
    assert report["columns"] == {"date": "Date", "amount": "Amount", "description": "Description"}
    assert [(row["row"], row["status"], row["amount"], row["kind"]) for row in report["rows"]] == [
        (2, "created", "3.50", "expense"),
        (3, "created", "2500.00", "income"),
        (4, "created", "45.10", "expense"),
    ]
    assert all(row["id"] for row in report["rows"])
    assert imported(main_account) == [
        (date(2026, 1, 2), "expense", Decimal("3.50"), "Coffee shop", None),
        (date(2026, 1, 3), "income", Decimal("2500.00"), "ACME payroll", None),
        (date(2026, 1, 4), "expense", Decimal("45.10"), "Groceries", None),
    ]
    assert set(Transaction.objects.values_list("user", flat=True)) == {main_account.user_id}


def test_importing_the_same_file_twice_adds_nothing(auth_client, main_account):
    import_report(auth_client, main_account, SIGNED)
    again = import_report(auth_client, main_account, SIGNED, status=200)
    assert (again["created"], again["duplicates"]) == (0, 3)
    assert {row["status"] for row in again["rows"]} == {"duplicate"}
    assert Transaction.objects.count() == 3


def test_identical_rows_in_one_file_both_import_and_only_once(auth_client, main_account):
    content = "Date,Description,Amount\n2026-01-02,Bus ticket,-2.80\n2026-01-02,Bus  TICKET,-2.80\n2026-01-02,Bus ticket,-2.80\n"
    assert post_csv(auth_client, main_account, content).json()["created"] == 3
    assert post_csv(auth_client, main_account, content).json()["created"] == 0
    # A later statement overlapping the first adds only the rows it does not share.
    longer = content + "2026-01-02,Bus ticket,-2.80\n2026-01-03,Bus ticket,-2.80\n"
    assert post_csv(auth_client, main_account, longer).json()["created"] == 2
    assert Transaction.objects.filter(description__iexact="bus ticket").count() == 4


def test_the_same_file_into_another_account_is_not_a_duplicate(auth_client, user, main_account):
    post_csv(auth_client, main_account, SIGNED)
    response = post_csv(auth_client, make_account(user, name="Card"), SIGNED)
    assert response.json()["created"] == 3


def test_debit_and_credit_columns_with_bank_header_names(auth_client, main_account):
    content = (
        "Transaction Date,Details,Withdrawal,Deposit,Balance\n"
        '01/15/2026,Rent,"1,200.00",,800.00\n'
        "01/16/2026,Refund,,25.00,825.00\n"
        "01/17/2026,Card fee,-1.00,,824.00\n"
    )
    report = import_report(auth_client, main_account, content)
    assert report["layout"] == "debit_credit"
    assert report["columns"] == {
        "date": "Transaction Date",
        "debit": "Withdrawal",
        "credit": "Deposit",
        "description": "Details",
    }
    assert report["date_order"] == "month_first"
    assert imported(main_account) == [
        (date(2026, 1, 15), "expense", Decimal("1200.00"), "Rent", None),
        (date(2026, 1, 16), "income", Decimal("25.00"), "Refund", None),
        (date(2026, 1, 17), "expense", Decimal("1.00"), "Card fee", None),
    ]


def test_a_row_with_both_or_neither_debit_and_credit_is_an_error(auth_client, main_account):
    content = "Date,Memo,Debit,Credit\n2026-01-01,both,5.00,5.00\n2026-01-02,neither,,\n2026-01-03,fine,5.00,\n"
    report = post_csv(auth_client, main_account, content).json()
    assert [(error["row"], list(error["errors"])) for error in report["errors"]] == [(2, ["amount"]), (3, ["amount"])]
    assert report["created"] == 1


@pytest.mark.parametrize(
    "written",
    [
        "2026-01-31",
        "31/01/2026",
        "01/31/2026",
        "31.01.2026",
        "2026/01/31",
        "Jan 31, 2026",
        "31 Jan 2026",
        "January 31, 2026",
        "31-01-2026",
        "2026-01-31T09:15:00",
    ],
)
def test_date_formats(auth_client, main_account, written):
    import_report(auth_client, main_account, f'Posting Date,Memo,Amount\n"{written}",Tea,-1.00\n')
    assert imported(main_account)[0][0] == date(2026, 1, 31)


def test_dates_that_could_be_day_or_month_first_need_a_date_format(auth_client, main_account):
    content = "Date,Description,Amount\n03/04/2026,Tea,-1.00\n05/06/2026,Cake,-2.00\n"
    unclear = import_report(auth_client, main_account, content, status=400)
    assert list(unclear["errors"]) == ["date_format"]
    assert "03/04" in unclear["message"]
    assert not Transaction.objects.exists()

    day_first = import_report(auth_client, main_account, content, status=200, date_format="DD/MM/YYYY", dry_run="true")
    assert [row["date"] for row in day_first["rows"]] == ["2026-04-03", "2026-06-05"]
    month_first = import_report(auth_client, main_account, content, status=200, date_format="%m/%d/%Y", dry_run="true")
    assert [row["date"] for row in month_first["rows"]] == ["2026-03-04", "2026-05-06"]


def test_a_bad_date_format_is_400_naming_it(auth_client, main_account):
    refused = import_report(auth_client, main_account, SIGNED, status=400, date_format="%H:%M")
    assert list(refused["errors"]) == ["date_format"]


def test_dates_against_the_files_order_and_impossible_dates_are_row_errors(auth_client, main_account):
    content = (
        "Date,Description,Amount\n31/01/2026,a,-1.00\n25/12/2026,b,-1.00\n01/13/2026,c,-1.00\n2026-02-30,d,-1.00\n"
    )
    report = post_csv(auth_client, main_account, content).json()
    assert report["date_order"] == "day_first"
    assert [(error["row"], list(error["errors"])) for error in report["errors"]] == [(4, ["date"]), (5, ["date"])]
    assert report["created"] == 2


def test_amounts_with_currency_symbols_thousands_and_decimal_commas(auth_client, main_account):
    content = (
        "Date;Description;Amount\n"
        "2026-01-01;Laptop;-1.299,00 €\n"
        "2026-01-02;Bonus;+€250,5\n"
        "2026-01-03;Fee;USD 12.50-\n"
        '2026-01-04;Big;"$1,234,567.89"\n'
    )
    import_report(auth_client, main_account, content)
    assert [(kind, amount) for _, kind, amount, _, _ in imported(main_account)] == [
        ("expense", Decimal("1299.00")),
        ("income", Decimal("250.50")),
        ("expense", Decimal("12.50")),
        ("income", Decimal("1234567.89")),
    ]


@pytest.mark.parametrize("amount", ["0.00", "1e5", "NaN", "Infinity", "12.345", "1234567890123.00", "abc", ""])
def test_bad_amounts_are_row_errors_naming_amount(auth_client, main_account, amount):
    report = post_csv(
        auth_client, main_account, f"Date,Description,Amount\n2026-01-01,x,{amount}\n2026-01-02,ok,-1.00\n"
    ).json()
    assert report["errors"] == [{"row": 2, "errors": {"amount": report["errors"][0]["errors"]["amount"]}}]
    assert report["errors"][0]["errors"]["amount"][0]
    assert report["created"] == 1


def test_a_broken_row_in_the_middle_is_reported_and_the_good_rows_import(auth_client, main_account):
    content = (
        "Date,Description,Amount\n"
        "2026-01-01,First,-1.00\n"
        '2026-01-02,"Multi\nline memo",-2.00\n'
        "not a date,Broken,-3.00\n"
        "2026-01-04,Last,-4.00\n"
    )
    report = import_report(auth_client, main_account, content)
    assert report["created"] == 3
    assert [(error["row"], list(error["errors"])) for error in report["errors"]] == [(5, ["date"])]
    assert [row["row"] for row in report["rows"]] == [2, 3, 6]
    assert sorted(Transaction.objects.values_list("description", flat=True)) == ["First", "Last", "Multi\nline memo"]


def test_a_dry_run_shows_what_would_happen_and_writes_nothing(auth_client, main_account):
    post_csv(auth_client, main_account, SIGNED.splitlines()[0] + "\n" + SIGNED.splitlines()[1] + "\n")
    before = list(Transaction.objects.values_list("pk", flat=True))
    report = import_report(auth_client, main_account, SIGNED + "2026-01-05,oops,ten\n", status=200, dry_run="true")
    assert (report["dry_run"], report["created"], report["new"], report["duplicates"]) == (True, 0, 2, 1)
    assert [row["status"] for row in report["rows"]] == ["duplicate", "new", "new"]
    assert {row["id"] for row in report["rows"]} == {None}
    assert report["errors"] == [{"row": 5, "errors": {"amount": ["Enter a number such as 12.50."]}}]
    assert list(Transaction.objects.values_list("pk", flat=True)) == before


def test_an_explicit_mapping_reads_unrecognised_columns(auth_client, main_account):
    content = "When,What,How much,Extra\n2026-02-01,Cinema,-11.00,x\n"
    unknown = import_report(auth_client, main_account, content, status=400)
    assert list(unknown["errors"]) == ["mapping"]
    assert "When, What, How much, Extra" in unknown["message"]

    mapping = {"date": "When", "description": "What", "amount": "How much"}
    assert import_report(auth_client, main_account, content, mapping=mapping)["columns"] == mapping
    assert imported(main_account) == [(date(2026, 2, 1), "expense", Decimal("11.00"), "Cinema", None)]


def test_a_mapping_overrides_recognised_columns_and_may_name_debit_and_credit(auth_client, main_account):
    content = "Posting Date,Value Date,Memo,Description,Out,In\n2026-03-02,2026-03-01,Groceries,CARD 1234,9.99,\n"
    mapping = {"date": "Value Date", "description": "Memo", "debit": "Out", "credit": "In"}
    import_report(auth_client, main_account, content, mapping=mapping)
    assert imported(main_account) == [(date(2026, 3, 1), "expense", Decimal("9.99"), "Groceries", None)]


@pytest.mark.parametrize(
    "mapping",
    [
        "not json",
        "[1, 2]",
        '{"date": 5}',
        '{"when": "Date"}',
        '{"date": "Nope", "amount": "Amount"}',
        '{"amount": "Amount", "debit": "Amount"}',
        "[" * 1500,
    ],
)
def test_a_bad_mapping_is_400_naming_mapping(auth_client, main_account, mapping):
    refused = import_report(auth_client, main_account, SIGNED, status=400, mapping=mapping)
    assert list(refused["errors"]) == ["mapping"]


def test_a_category_column_matches_the_users_categories_of_the_rows_kind(auth_client, user, main_account, food, salary):
    content = (
        "Date,Description,Amount,Category\n"
        "2026-01-01,Lunch,-8.00,food\n"
        "2026-01-02,Pay,1000.00,Salary\n"
        "2026-01-03,Odd,5.00,Food\n"
        "2026-01-04,Unknown,-1.00,Pets\n"
    )
    post_csv(auth_client, main_account, content)
    assert [category for *_, category in imported(main_account)] == [food.pk, salary.pk, None, None]


def test_payee_notes_and_tags_columns(auth_client, main_account):
    content = (
        'Date,Description,Payee,Notes,Tags,Amount\n2026-01-01,Dinner,Luigi,\'=birthday,"family, Trip,trip",-60.00\n'
    )
    post_csv(auth_client, main_account, content)
    tx = Transaction.objects.get()
    assert (tx.payee, tx.notes, tx.tags) == ("Luigi", "=birthday", ["family", "Trip"])


def test_a_row_in_another_currency_is_an_error(auth_client, main_account):
    content = "Date,Description,Amount,Currency\n2026-01-01,Here,-1.00,usd\n2026-01-02,Abroad,-2.00,EUR\n"
    report = post_csv(auth_client, main_account, content).json()
    assert report["errors"] == [{"row": 3, "errors": {"currency": ["This row is in EUR; the account is in USD."]}}]


def test_transfer_rows_name_the_other_account(auth_client, user, main_account):
    savings = make_account(user, name="Savings")
    content = (
        "date,kind,amount,description,transfer_account\n"
        "2026-01-01,transfer,100.00,To savings,savings\n"
        "2026-01-02,transfer,5.00,Nowhere,Moon bank\n"
        "2026-01-03,transfer,5.00,Missing,\n"
        "2026-01-04,expense,5.00,Plain,\n"
    )
    report = post_csv(auth_client, main_account, content).json()
    assert report["layout"] == "amount_and_kind"
    assert [(error["row"], list(error["errors"])) for error in report["errors"]] == [
        (3, ["transfer_account"]),
        (4, ["transfer_account"]),
    ]
    transfer = Transaction.objects.get(kind="transfer")
    assert (transfer.account, transfer.transfer_account, transfer.amount) == (main_account, savings, Decimal("100.00"))


def test_a_type_column_that_is_not_a_direction_is_ignored(auth_client, main_account):
    content = "Transaction Date,Post Date,Description,Category,Type,Amount,Memo\n01/31/2026,02/01/2026,Shop,Shopping,Sale,-20.00,\n"
    response = post_csv(auth_client, main_account, content)
    assert response.json()["layout"] == "signed_amount"
    assert imported(main_account)[0][:3] == (date(2026, 1, 31), "expense", Decimal("20.00"))


def test_encodings_and_delimiters(auth_client, user, main_account):
    cp1252 = "Datum;Beschreibung;Amount\n31.01.2026;Café;-3,20\n".replace("Datum", "Date").replace(
        "Beschreibung", "Description"
    )
    import_report(auth_client, main_account, cp1252.encode("cp1252"))
    import_report(auth_client, main_account, "\ufeffDate\tDescription\tAmount\n2026-01-01\tBOM tea\t-1.00\n".encode())
    utf16 = "Date,Description,Amount\n2026-01-02,Wide tea,-1.00\n".encode("utf-16")
    import_report(auth_client, main_account, utf16)
    assert set(Transaction.objects.values_list("description", flat=True)) == {"Café", "BOM tea", "Wide tea"}


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (PNG, "not a CSV"),
        (b"Date,Amount\n2026-01-01,\x00\x01\x02\n", "not a CSV"),
        (b"\xff\xfe\x00\xd8", "not a CSV"),
        (b"Date,Description,Amount\n\x81\x8d\x8f\n", "not a CSV"),
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"Date,Description,Amount\n", "no transactions"),
        ((",".join(f"c{i}" for i in range(51)) + "\n" + ",".join("1" * 51) + "\n").encode(), "51 columns"),
        (b'Date,Description,Amount\n2026-01-01,"unterminated' + b"x" * 140_000 + b"\n", "malformed"),
    ],
)
def test_files_that_are_not_statements_are_400_with_a_message(auth_client, main_account, content, words):
    refused = import_report(auth_client, main_account, content, status=400)
    assert list(refused["errors"]) == ["file"]
    assert words in refused["message"]
    assert not Transaction.objects.exists()


def test_a_missing_or_non_file_upload_is_400(auth_client, main_account):
    assert list(auth_client.post(IMPORT, {"account": main_account.pk}).json()["errors"]) == ["file"]
    as_text = auth_client.post(IMPORT, {"account": main_account.pk, "file": "Date,Amount"})
    assert as_text.status_code == 400
    assert "file" in as_text.json()["errors"]
    as_json = auth_client.post(IMPORT, {"account": main_account.pk, "file": "x"}, format="json")
    assert as_json.status_code == 415


def test_a_50_megabyte_file_is_413(auth_client, main_account):
    response = post_csv(auth_client, main_account, b"Date,Description,Amount\n" + b"2026-01-01,x,-1.00\n" * 2_800_000)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not Transaction.objects.exists()


@override_settings(API_UPLOAD_MAX_SIZE=1024)
def test_the_view_refuses_an_oversized_file_even_without_a_content_length_check(user, main_account):
    # Straight to the view, past the middleware's Content-Length check (as a chunked body would be).
    upload = SimpleUploadedFile("big.csv", b"Date,Description,Amount\n" + b"2026-01-01,x,-1.00\n" * 100)
    request = APIRequestFactory().post(IMPORT, {"file": upload, "account": main_account.pk}, format="multipart")
    force_authenticate(request, user=user)
    response = TransactionViewSet.as_view({"post": "import_csv"}, **TransactionViewSet.import_csv.kwargs)(request)
    assert response.status_code == 413
    assert "limit is 1024 bytes" in response.data["message"]
    assert not Transaction.objects.exists()


def test_an_archived_account_takes_no_imports(auth_client, user):
    archived = make_account(user, name="Closed", is_archived=True)
    refused = import_report(auth_client, archived, SIGNED, status=400)
    assert list(refused["errors"]) == ["account"]


def test_an_import_runs_a_fixed_number_of_queries_and_inserts_in_batches(auth_client, user, main_account, food):
    """One query finds the already imported rows whatever the file's size; each INSERT
    carries many rows (SQLite's parameter limit allows ~60 per statement, PostgreSQL 1000).
    PostgreSQL adds the budget rule's row lock, taken before it reads the sums."""

    def import_rows(account, rows: int) -> tuple[int, int]:
        content = "Date,Description,Amount,Category\n" + "".join(
            f"2026-01-01,Row {i},-1.00,Food\n" for i in range(rows)
        )
        with CaptureQueriesContext(connection) as queries:
            assert post_csv(auth_client, account, content).json()["created"] == rows
        inserts = sum(1 for query in queries if query["sql"].startswith("INSERT"))
        return len(queries) - inserts, inserts

    small_queries, small_inserts = import_rows(main_account, 20)
    large_queries, large_inserts = import_rows(make_account(user, name="Card"), 600)
    assert small_queries == large_queries <= (11 if connection.features.has_select_for_update else 10)
    assert small_inserts == 1
    assert large_inserts <= math.ceil(600 / 50)
