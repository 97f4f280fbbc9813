"""The README and docs name files by path (`users/tests/test_browser.py`); code moves, and a
path in the docs that no longer exists sends the next person nowhere."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TOP = (
    "budgetpay/",
    "users/",
    "transactions/",
    "goals/",
    "budgets/",
    "chatbot/",
    "notifications/",
    "templates/",
    "bench/",
    "deploy/",
    "docs/",
    ".ci/",
)
SUFFIXES = (".py", ".md", ".html", ".js", ".json", ".conf", ".sh", ".ini", ".toml", ".service", ".txt")
# `a/b.py` or `a/b.py:function`; a path with a placeholder (<app>, *) names a pattern, not a file.
CODE_SPAN = re.compile(r"`([^`\n]{3,200})`")


def _named_paths(text: str) -> set[str]:
    paths = set()
    for span in CODE_SPAN.findall(text):
        for word in span.split():
            word = word.split(":")[0].rstrip(".,;)")
            if word.startswith(TOP) and word.endswith(SUFFIXES) and not any(c in word for c in "<>*{}"):
                paths.add(word)
    return paths


def test_every_file_the_docs_name_exists():
    named = {(doc.name, path) for doc in DOCS for path in _named_paths(doc.read_text())}
    assert len(named) > 20  # the docs do name files; the pattern found them
    missing = sorted(f"{doc}: {path}" for doc, path in named if not (ROOT / path).exists())
    assert missing == []
