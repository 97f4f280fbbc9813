"""Schemathesis against a real Daphne server: every operation in /api/schema/,
authenticated, with generated and hostile inputs (NUL bytes, unicode, huge
numbers, wrong types). No 5xx, and every response as the schema documents it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from budgetpay.testing.servers import DaphneServer, prepare_e2e_database, register

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = int(os.environ.get("BUDGETPAY_FUZZ_EXAMPLES", "6"))
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("fuzz")
    server = DaphneServer(
        workdir,
        database_url=prepare_e2e_database(workdir, "fuzz"),
        name="fuzz",
        JWT_ACCESS_MINUTES="60",
        THROTTLE_LOGIN="100000/min",
        THROTTLE_REGISTER="100000/min",
        THROTTLE_TOKEN_REFRESH="100000/min",
        THROTTLE_SOCIAL_LOGIN="100000/min",
        THROTTLE_AI="100000/min",
    ).start()
    yield server
    server.stop()


def test_no_operation_answers_5xx_or_off_schema(fuzz_server, tmp_path):
    body = register(fuzz_server.url, "fuzz@example.com", "fuzz-long-password-8")
    schemathesis = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [
            str(schemathesis),
            "run",
            f"{fuzz_server.url}/api/schema/?format=json",
            "--header",
            f"Authorization: Bearer {body['access']}",
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--generation-deterministic",
            "--generation-allow-x00",
            "true",
            "--checks",
            CHECKS,
            "--request-timeout",
            "30",
            "--max-failures",
            "50",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=tmp_path,  # schemathesis keeps a cache in its working folder
    )
    summary = result.stdout[-4000:]
    print(summary)
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary.split("Test cases:")[-1]
