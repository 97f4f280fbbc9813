"""The API's refusals in tests: the bad values a field refuses, as parametrize cases, and the
400 that names the field (convention 11: errors are answers a person can act on)."""


def bad_values(**refused: list) -> list[tuple[str, object]]:
    """(field, value) cases from the values each field refuses: bad_values(name=["", "x" * 101])."""
    return [(field, value) for field, values in refused.items() for value in values]


def assert_refused_naming(response, field: str) -> None:
    """A 400 for a bad value in `field`: the API's validation answer, its errors and its one
    sentence both naming the field."""
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "invalid", body
    assert field in body["errors"], body
    assert body["message"].startswith(f"{field}: "), body
