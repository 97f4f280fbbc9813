"""A CSV upload cannot freeze the process (issue 12, item 4).

The importer stripped currency codes from amount cells and normalised header names with
patterns that backtrack: a 78 KiB file with long runs of spaces in its amount cells took
7 s, a 10 MB one over an hour. Uploaded as an attacker would, such files now cost time
in proportion to their size, and an amount cell longer than MAX_AMOUNT_CELL_CHARS is a
row error, not something to parse.
"""

import pytest

from budgetpay.testing.statements import post_csv
from budgetpay.testing.timing import MAX_GROWTH_RATIO, growth_ratio
from transactions.csv_cells import MAX_AMOUNT_CELL_CHARS
from transactions.models import Transaction

pytestmark = pytest.mark.django_db

ROWS = 20


def spaced_amounts(cell_length: int) -> str:
    """A statement whose amount cells are "1", a run of spaces, and "x"."""
    cell = "1" + " " * (cell_length - 2) + "x"
    return "Date,Description,Amount\n" + "".join(f"2026-01-{day:02d},Lunch,{cell}\n" for day in range(1, ROWS + 1))


def test_an_amount_cell_longer_than_the_limit_is_a_row_error(auth_client, main_account):
    long_cell = "1" + " " * MAX_AMOUNT_CELL_CHARS + "USD"
    content = f"Date,Description,Amount\n2026-01-01,Lunch,{long_cell}\n2026-01-02,Fine,{' ' * 30}-1.00 USD\n"
    report = post_csv(auth_client, main_account, content).json()
    assert report["created"] == 1
    [error] = report["errors"]
    assert error["row"] == 2
    assert error["errors"] == {
        "amount": [f"The amount is {len(long_cell)} characters long; an amount has at most {MAX_AMOUNT_CELL_CHARS}."]
    }


def test_a_file_of_long_space_runs_in_amount_cells_is_answered_with_row_errors(auth_client, main_account):
    response = post_csv(auth_client, main_account, spaced_amounts(4000))  # 80 KiB, as in the issue
    assert response.status_code == 200
    report = response.json()
    assert report["created"] == 0
    assert len(report["errors"]) == ROWS
    assert all("at most 40" in error["errors"]["amount"][0] for error in report["errors"])
    assert not Transaction.objects.filter(account=main_account).exists()


@pytest.mark.parametrize(
    ("attack", "size"),
    [
        (spaced_amounts, 512),
        # A header row of "(((("... (each aside looked for its closing parenthesis to the end).
        (lambda n: "Date,Amount,Notes " + "(" * n + "\n2026-01-01,-1.00,x\n", 4096),
        # Amounts of spaces between digits and a currency code, within the length limit.
        (lambda n: "Date,Amount\n" + ("2026-01-01,1" + " " * 36 + "USD\n") * (n // 52), 4096),
    ],
    ids=["spaced-amount-cells", "header-parentheses", "spaced-currency-codes"],
)
def test_what_an_upload_costs_grows_linearly_with_its_size(auth_client, main_account, attack, size):
    def upload(content: str) -> None:
        assert post_csv(auth_client, main_account, content, dry_run="true").status_code < 500

    assert growth_ratio(upload, attack, size) < MAX_GROWTH_RATIO


@pytest.mark.parametrize("date_format", ["%d %d %m %Y", "%d/%m/%Y %Q", "%d/%m/%Y/%y%m"])
def test_a_date_pattern_strptime_cannot_compile_is_a_400_not_a_500(auth_client, main_account, date_format):
    """strptime builds a regular expression from the pattern a person sends; a directive
    given twice made it raise re.error, and the upload answered 500."""
    response = post_csv(auth_client, main_account, "Date,Amount\n01 01 01 2026,-1.00\n", date_format=date_format)
    assert response.status_code == 400
    assert "at most once" in response.json()["errors"]["date_format"][0]
