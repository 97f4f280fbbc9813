"""One reading of money for every domain (issue 12, item 13): plain decimals in the digits
0-9. Python's `Decimal()` and the regex `\\d` take "０１２", and DRF's DecimalField takes
"1e3"; neither gets through the API for a transaction, a budget, a goal or a contribution."""

from decimal import Decimal

import pytest

from budgetpay.money import MAX_AMOUNT_CHARS, AmountError, parse_decimal
from budgetpay.testing.amounts import DIGITS_MESSAGE, EXPONENT_MESSAGE, NOT_PLAIN

TRANSACTIONS = "/api/v1/transactions"
BUDGETS = "/api/v1/budgets"
GOALS = "/api/v1/goals"

OTHER_DIGITS = ["０１２", "١٢", "12.５", "१२.५०", "𝟏𝟐"]  # fullwidth, Arabic-Indic, Devanagari, mathematical


@pytest.mark.parametrize("text", OTHER_DIGITS)
def test_digits_of_other_scripts_are_not_an_amount(text):
    with pytest.raises(AmountError, match="digits 0 to 9"):
        parse_decimal(text)


@pytest.mark.parametrize(("text", "message"), [("1e3", EXPONENT_MESSAGE), ("2.5E-1", EXPONENT_MESSAGE)])
def test_an_exponent_is_named(text, message):
    with pytest.raises(AmountError) as raised:
        parse_decimal(text)
    assert str(raised.value) == message


def test_plain_amounts_keep_their_value():
    assert [parse_decimal(text) for text in ("12", "12.", ".5", "-0.01", "+7", " 3.10 ")] == [
        Decimal("12.00"),
        Decimal("12.00"),
        Decimal("0.50"),
        Decimal("-0.01"),
        Decimal("7.00"),
        Decimal("3.10"),
    ]


def test_a_long_text_is_refused_before_it_is_read():
    with pytest.raises(AmountError, match="12 digits"):
        parse_decimal("1" * (MAX_AMOUNT_CHARS + 1))


@pytest.fixture
def account_id(auth_client) -> int:
    return auth_client.get("/api/v1/accounts").json()["results"][0]["id"]


@pytest.fixture
def goal_id(auth_client) -> int:
    response = auth_client.post(GOALS, {"name": "Bike", "target_amount": "500.00"}, format="json")
    assert response.status_code == 201
    return response.json()["id"]


def assert_refused(response, field: str, message: str) -> None:
    assert response.status_code == 400, response.json()
    assert response.json()["errors"] == {field: [message]}


@pytest.mark.django_db
@pytest.mark.parametrize("amount", OTHER_DIGITS)
def test_a_transaction_amount_in_other_digits_is_a_400(auth_client, account_id, amount):
    response = auth_client.post(TRANSACTIONS, {"account": account_id, "amount": amount}, format="json")
    assert_refused(response, "amount", DIGITS_MESSAGE)


@pytest.mark.django_db
@pytest.mark.parametrize(("amount", "message"), NOT_PLAIN)
def test_a_budget_amount_is_read_as_transactions_are(auth_client, amount, message):
    assert_refused(auth_client.post(BUDGETS, {"amount": amount}, format="json"), "amount", message)
    created = auth_client.post(BUDGETS, {"amount": "400.5"}, format="json")
    assert created.status_code == 201 and created.json()["amount"] == "400.50"
    budget = f"{BUDGETS}/{created.json()['id']}"
    assert_refused(auth_client.patch(budget, {"amount": amount}, format="json"), "amount", message)
    assert auth_client.get(budget).json()["amount"] == "400.50"


@pytest.mark.django_db
@pytest.mark.parametrize(("amount", "message"), NOT_PLAIN)
def test_goal_amounts_are_read_as_transactions_are(auth_client, goal_id, amount, message):
    response = auth_client.post(GOALS, {"name": "Car", "target_amount": amount}, format="json")
    assert_refused(response, "target_amount", message)
    response = auth_client.patch(f"{GOALS}/{goal_id}", {"target_amount": amount}, format="json")
    assert_refused(response, "target_amount", message)
    response = auth_client.post(f"{GOALS}/{goal_id}/entries", {"amount": amount}, format="json")
    assert_refused(response, "amount", message)
    assert auth_client.get(f"{GOALS}/{goal_id}").json()["progress"]["saved"] == "0.00"


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "field"), [(BUDGETS, "amount"), (GOALS, "target_amount")])
@pytest.mark.parametrize("amount", ["0", "-5.00", 1e3])
def test_zero_and_below_are_refused_and_json_numbers_are_read(auth_client, path, field, amount):
    response = auth_client.post(path, {"name": "x", field: amount}, format="json")
    if amount == 1e3:  # a JSON number 1000.0 is a plain amount; only text in exponent form is refused
        assert response.status_code == 201 and response.json()[field] == "1000.00"
    else:
        assert_refused(response, field, "Enter an amount above zero.")
