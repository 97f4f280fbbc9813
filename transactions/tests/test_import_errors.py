"""The import's errors are structured: the parser gives each row's problems as RowError(line,
column, message) and raises StatementError(field, problem, hint) for the file as a whole;
the import report keeps the RowErrors and derives the API's per-row form from them."""

import json

import pytest
from django.core.exceptions import ValidationError

from budgetpay.testing.statements import post_csv
from transactions.csv_import import RowError, StatementError, parse_statement
from transactions.imports import transactions_import

pytestmark = pytest.mark.django_db


def test_row_problems_name_their_line_and_column():
    statement = parse_statement(
        b"Date,Description,Amount,Tags\n2026-01-01,Fine,-1.00,\n,No date,abc,\n2026-01-03,Zero,0,\n"
    )
    assert [row.line for row in statement.rows] == [2]
    assert statement.errors == [
        RowError(3, "date", "The date is missing."),
        RowError(3, "amount", "Enter a number such as 12.50."),
        RowError(4, "amount", "The amount is missing or zero."),
    ]


@pytest.mark.parametrize(
    ("content", "field", "problem", "hint"),
    [
        (b"", "file", "The file is empty.", ""),
        (b"Date,Description,Amount\n", "file", "The file has a header row but no transactions.", ""),
        (
            b"When,What,How much\n2026-01-01,Tea,-1.00\n",
            "mapping",
            "Could not recognise the columns of this file (found: When, What, How much).",
            "Send a mapping naming your columns, such as ",
        ),
        (
            b"Date,Description,Amount\n03/04/2026,Tea,-1.00\n",
            "date_format",
            "Dates such as 03/04 could mean day/month or month/day.",
            "Send date_format=DD/MM/YYYY or date_format=MM/DD/YYYY.",
        ),
    ],
)
def test_a_problem_with_the_whole_file_says_what_is_wrong_and_apart_how_to_fix_it(content, field, problem, hint):
    with pytest.raises(StatementError) as raised:
        parse_statement(content)
    error = raised.value
    assert (error.field, error.problem) == (field, problem)
    assert error.hint.startswith(hint) and bool(error.hint) == bool(hint)
    # A ValidationError whose message is both together: what the API answers.
    assert isinstance(error, ValidationError)
    assert error.message_dict == {field: [f"{problem} {error.hint}".strip()]}


def test_a_named_column_that_is_not_there_is_a_mapping_problem():
    with pytest.raises(StatementError) as raised:
        parse_statement(b"Date,Description,Amount\n2026-01-01,Tea,-1.00\n", mapping={"date": "Booked"})
    assert raised.value.field == "mapping"
    assert raised.value.problem == "There is no column named 'Booked'; the file has: Date, Description, Amount."
    assert raised.value.hint == ""


def test_the_report_keeps_the_parsers_and_its_own_problems_by_line(user, main_account):
    report = transactions_import(
        user=user,
        account=main_account,
        content=b"Date,Description,Amount,Currency\n2026-01-02,Abroad,-2.00,EUR\n,Broken,abc,\n2026-01-04,Fine,-1.00,\n",
        dry_run=True,
    )
    assert report.problems == [
        RowError(2, "currency", "This row is in EUR; the account is in USD."),
        RowError(3, "date", "The date is missing."),
        RowError(3, "amount", "Enter a number such as 12.50."),
    ]
    assert report.errors == [
        {"row": 2, "errors": {"currency": ["This row is in EUR; the account is in USD."]}},
        {"row": 3, "errors": {"date": ["The date is missing."], "amount": ["Enter a number such as 12.50."]}},
    ]


def test_the_api_answers_the_same_shapes(auth_client, main_account):
    rows = post_csv(
        auth_client, main_account, b"Date,Description,Amount\n,Broken,abc\n2026-01-04,Fine,-1.00\n", dry_run="true"
    )
    assert rows.status_code == 200, rows.json()
    assert rows.json()["errors"] == [
        {"row": 2, "errors": {"date": ["The date is missing."], "amount": ["Enter a number such as 12.50."]}}
    ]

    unrecognised = post_csv(auth_client, main_account, b"When,What,How much\n2026-01-01,Tea,-1.00\n")
    assert unrecognised.status_code == 400
    body = unrecognised.json()
    assert list(body["errors"]) == ["mapping"]
    assert body["errors"]["mapping"][0].startswith(
        "Could not recognise the columns of this file (found: When, What, How much). Send a mapping naming your columns"
    )
    assert body["message"] == f"mapping: {body['errors']['mapping'][0]}"

    missing = post_csv(
        auth_client,
        main_account,
        b"Date,Description,Amount\n2026-01-01,Tea,-1.00\n",
        mapping=json.dumps({"date": "Booked"}),
    )
    assert missing.json()["errors"] == {
        "mapping": ["There is no column named 'Booked'; the file has: Date, Description, Amount."]
    }
