"""Everything Budget Pay holds about a person, for their right to their data.

Each app declares, in its AppConfig.ready(), the tables it keeps with rows of one person
(`register`), so the export (JSON, or a zip of CSV files) walks them without the platform or
`users` importing any domain. A test checks that every table pointing at a person is
registered or named as not theirs, and that deleting the account leaves none of them behind.
"""

import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from budgetpay.csv_writer import SpreadsheetSafeWriter


@dataclass(frozen=True)
class PersonalTable:
    """A table of one person's rows: its name in the export, the model, the lookup from
    the model to the person (\"user\", \"goal__user\", \"pk\" for the person's own row) and
    the fields left out of the export (secrets, internal keys)."""

    name: str
    model: type[models.Model]
    owner: str
    left_out: frozenset[str]

    def rows_of(self, user) -> models.QuerySet:
        return self.model._default_manager.filter(**{self.owner: user.pk})


_TABLES: dict[str, PersonalTable] = {}


def register(name: str, model: type[models.Model], *, owner: str = "user", left_out: Iterable[str] = ()) -> None:
    """Declare a table of personal data (call from AppConfig.ready()); registering the same
    name again replaces it, so a reloaded app does not count twice."""
    _TABLES[name] = PersonalTable(name=name, model=model, owner=owner, left_out=frozenset(left_out))


def tables() -> list[PersonalTable]:
    """The registered tables, in the order the apps were loaded."""
    return list(_TABLES.values())


def _fields(model: type[models.Model], left_out: set[str]) -> list[str]:
    return [
        field.attname
        for field in model._meta.concrete_fields
        if field.name not in left_out and field.attname not in ("user_id",)
    ]


def personal_rows(*, user) -> Iterator[tuple[str, list[str], list[dict]]]:
    """(table, columns, rows) for every registered table."""
    for table in tables():
        columns = _fields(table.model, table.left_out)
        yield table.name, columns, list(table.rows_of(user).order_by("pk").values(*columns))


def export_json(*, user) -> bytes:
    data = {table: rows for table, _, rows in personal_rows(user=user)}
    return json.dumps(data, cls=DjangoJSONEncoder, indent=2).encode()


def _csv_cell(value: object) -> object:
    return json.dumps(value, cls=DjangoJSONEncoder) if isinstance(value, (dict, list)) else value


def export_csv_zip(*, user) -> bytes:
    """A zip with one CSV file per table, written so that no cell of the person's
    text runs as a formula when they open it in a spreadsheet."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table, columns, rows in personal_rows(user=user):
            text = io.StringIO()
            writer = SpreadsheetSafeWriter(text)
            writer.writerow(columns)
            for row in rows:
                writer.writerow(_csv_cell(row[column]) for column in columns)
            archive.writestr(f"{table}.csv", text.getvalue())
    return buffer.getvalue()
