"""Bank statements in tests: a CSV file uploaded to the import endpoint as a person's client
would send it."""

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
