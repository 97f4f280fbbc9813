"""Amounts a person might type that are not plain numbers (budgetpay.money reads only the
digits 0 to 9, without an exponent), the messages the money parser answers them with, and a
page form's refusal of one checked where the person reads it."""

DIGITS_MESSAGE = "Write the amount with the digits 0 to 9, such as 12.50."
EXPONENT_MESSAGE = "Write the amount as a plain number such as 100000.00, without an exponent."
# Decimal() would read these as 1000 and 12.
NOT_PLAIN = [("1e3", EXPONENT_MESSAGE), ("０１２", DIGITS_MESSAGE)]


def assert_form_refused(response, field: str, message: str) -> None:
    """The page answered the form again (no redirect), with `message` next to `field`."""
    assert response.status_code == 200, response.get("Location")
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
