"""Bank statements in tests: a CSV file uploaded to the import endpoint as a person's client
would send it, and the report it answers with."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from transactions.models import Account

IMPORT = "/api/v1/transactions/import"


def post_csv(client: APIClient, account: Account, content: str | bytes, **fields):
    """Upload `content` as statement.csv into `account`; a dict `mapping` is sent as JSON."""
    raw = content.encode() if isinstance(content, str) else content
    if isinstance(fields.get("mapping"), dict):
        fields["mapping"] = json.dumps(fields["mapping"])
    upload = SimpleUploadedFile("statement.csv", raw, content_type="text/csv")
    return client.post(IMPORT, {"file": upload, "account": account.pk, **fields})


def import_report(client: APIClient, account: Account, content: str | bytes, *, status: int = 201, **fields) -> dict:
    """What the import answered (its report, or its refusal) when it answers with `status`:
    201 when rows were created, 200 for a dry run or nothing new, 400 for a refusal."""
    response = post_csv(client, account, content, **fields)
    assert response.status_code == status, response.json()
    return response.json()
