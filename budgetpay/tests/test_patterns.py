"""Input never buys CPU: every regular expression in the project's own code is reviewed.

The inventory finds each pattern two ways: the compiled `re.Pattern` objects the modules
hold (module and class attributes), and, reading the source with `ast`, every `re.*` call,
`RegexValidator`/`RegexField`/`re_path` and `lookup_value_regex`, so a pattern written
inline in a function is found too. A pattern missing from REVIEWED fails the test, and so
does one built at run time (an f-string or a variable), which no review can cover.

Each reviewed pattern is then fed adversarial inputs at 1x and 8x the size the code lets it
see. A linear pattern takes about 8x as long on the larger input; the backtracking ones this
replaced took 64x (quadratic) or more, and seconds. The test asserts the growth ratio (best
of several repeats, so a busy machine does not make it flake) and, as a backstop, a ceiling
of seconds enforced by an alarm that interrupts the regex engine.
"""

import ast
import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from budgetpay.testing.timing import GROWTH, MAX_GROWTH_RATIO, Attack, TooSlow, growth_ratio

APPS = ("users", "budgets", "transactions", "goals", "notifications", "chatbot", "budgetpay")
SKIPPED_DIRECTORIES = {"tests", "migrations", "__pycache__"}
RE_FUNCTIONS = {"compile", "search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer"}
DJANGO_REGEX_CALLS = {"RegexValidator", "RegexField", "re_path", "_lazy_re_compile"}

# What each bounded input is capped at in the code (the 1x size of the measurement).
CHAT_RULES_CHARS = 500  # chatbot.rules.MAX_RULES_CHARS
AMOUNT_CHARS = 40  # budgetpay.money.MAX_AMOUNT_CHARS, transactions.csv_import.MAX_AMOUNT_CELL_CHARS
URL_PATH_CHARS = 1024
# Not capped by the code: a CSV cell or the decoded file is bounded only by the upload limit,
# so these are measured at a size far past any real cell; linear growth is what protects them.
CSV_CELL_CHARS = 4096


def pump(prefix: str, unit: str, suffix: str = "") -> Attack:
    """An input of about n characters: prefix, unit repeated, suffix (which makes a match fail late)."""

    def attack(n: int) -> str:
        repeats = max(1, (n - len(prefix) - len(suffix)) // len(unit))
        return prefix + unit * repeats + suffix

    attack.__name__ = f"{prefix!r}+{unit!r}*k+{suffix!r}"
    return attack


# Runs of the characters regexes most often overlap on, each ended by one that breaks a match.
GENERIC: tuple[Attack, ...] = (
    pump("", " ", "x,"),
    pump("", "\t\n ", "!"),
    pump("", "a", "!"),
    pump("", "a ", "!"),
    pump("", "1", "x"),
    pump("", "1,", "x"),
    pump("", "1.", "x"),
    pump("", "(", ""),
    pump("", "-", "x"),
    pump("", "é ", "!"),
)


@dataclass(frozen=True)
class Reviewed:
    why: str  # why it has one way to match at each start, so one pass per start at most
    max_chars: int  # the longest input the code lets it see
    attacks: tuple[Attack, ...] = ()
    flags: int = 0  # for patterns written inline, compiled here with the flags the code passes

    def inputs(self) -> tuple[Attack, ...]:
        return GENERIC + self.attacks


CHAT = "a chat message, collapsed to single spaces and at most CHAT_RULES_CHARS (longer ones are not read)"


def chat_rule(why: str, attacks: tuple[Attack, ...]) -> Reviewed:
    """A pattern of chatbot/rules.py: it reads a chat message, so at most CHAT_RULES_CHARS."""
    return Reviewed(f"{why} {CHAT}.", CHAT_RULES_CHARS, attacks)


REVIEWED: dict[str, Reviewed] = {
    # chatbot/rules.py
    r"^(?:please )?(?P<verb>add|spent|record|log|paid|received|earned) (?:an? (?:expense|income) of )?"
    r"[$€£]? ?(?P<amount>\d{1,12}(?:[.,]\d{1,2})?)(?![\d.,]) ?(?P<rest>.*)$": chat_rule(
        "Anchored; single spaces between fixed words, bounded digits, then '.*' to the end: one way to match.",
        (
            pump("add 5 a in ", " ", "x,"),  # the message of issue 12: 7 s at 2,000 spaces before
            pump("add ", " ", "x"),
            pump("add $", "1", "x"),
            pump("please add ", "a ", "!"),
        ),
    ),
    r"^(?:please )?(?:delete|remove) (?:(?:the|my|that) )?": chat_rule(
        "Anchored fixed words; the rest of the command is read with string operations.",
        (pump("delete a", " ", "b"), pump("delete the ", ".", "x")),
    ),
    r"^(?:transaction|expense|entry) ?(?:#|id ?|number ?)?(?P<id>\d{1,18})$": chat_rule(
        "Anchored; fixed words and at most 18 digits.",
        (pump("transaction ", "1", "x"), pump("transaction id ", " ", "1")),
    ),
    r"\b(?:on )?(today|yesterday|[0-9]{4}-[0-9]{2}-[0-9]{2})\b": chat_rule(
        "Fixed words and fixed-width dates: bounded work at each start.",
        (pump("", "on ", "x"), pump("", "2026-01-0", "x"), pump("", "on 2026-01-0 ", "x")),
    ),
    r"^(?:for|on|at) ": chat_rule("Anchored fixed words.", (pump("for", " ", "x"),)),
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}) ?(?:to|until|till|and|-|–) ?([0-9]{4}-[0-9]{2}-[0-9]{2})": chat_rule(
        "Fixed-width dates around one optional space and a fixed word: bounded work at each start.",
        (pump("", "2026-01-01 to ", "x"), pump("", "2026-01-01-", "x")),
    ),
    r"\b(?:(this|last|previous|past) (week|month|year)|(today|yesterday))\b": chat_rule(
        "Alternatives of fixed words: bounded work at each start.", (pump("", "this ", "x"), pump("", "last week", "s"))
    ),
    r"\bbudget": chat_rule("A fixed word.", (pump("", "budge", "x"),)),
    r"\b(?:goals?|sav(?:e|ed|ing|ings))\b": chat_rule("Alternatives of fixed words.", (pump("", "saving", "x"),)),
    r"\b(?:biggest|largest|top|most expensive)\b": chat_rule("Alternatives of fixed words.", (pump("", "most ", "x"),)),
    r"\b(?:spen[dt]|spending|cost|expenses?)\b": chat_rule("Alternatives of fixed words.", (pump("", "spen", "x"),)),
    # transactions/csv_import.py
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]": Reviewed(
        "One character class, no repetition: one step per character of the decoded file (bounded by the upload "
        "limit, measured here at a cell's size).",
        CSV_CELL_CHARS,
    ),
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.+\-Z ]*)?$": Reviewed(
        "Anchored; fixed-width digits, then one class repeated up to the end: one way to match. A date cell is "
        "not capped, so it is measured at CSV_CELL_CHARS.",
        CSV_CELL_CHARS,
        (pump("2026-01-01T", " ", "x"), pump("2026-01-01 ", "1:", "x")),
        re.ASCII,
    ),
    r"^(\d{4})/(\d{1,2})/(\d{1,2})$": Reviewed(
        "Anchored; fixed-width digits.", CSV_CELL_CHARS, (pump("2026/01/01", "1", ""),), re.ASCII
    ),
    r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$": Reviewed(
        "Anchored; fixed-width digits.", CSV_CELL_CHARS, (pump("01.01.2026", "1", ""),), re.ASCII
    ),
    r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})$": Reviewed(
        "Anchored; fixed-width digits.", CSV_CELL_CHARS, (pump("01/01/2026", "1", ""),), re.ASCII
    ),
    # Colours (transactions/models.py, users/forms.py) and ids in URLs (lookup_value_regex).
    r"^#[0-9a-fA-F]{6}$": Reviewed("Anchored, fixed width.", URL_PATH_CHARS, (pump("#", "a", ""),)),
    r"\d+": Reviewed("One class repeated; a path segment.", URL_PATH_CHARS, (pump("", "1", "x"),)),
    r"[0-9]+": Reviewed("One class repeated; a path segment.", URL_PATH_CHARS, (pump("", "1", "x"),)),
    # The socket router's catch-all (budgetpay/routing.py): matches at position 0 having read nothing.
    "": Reviewed("Empty: matches at once, reads nothing.", URL_PATH_CHARS, (pump("", "a/", "!"),)),
}


def is_literal_route(source: str) -> bool:
    """A URL pattern of fixed path text with an optional trailing slash ("^auth/token/?$"):
    nothing in it can repeat, so it is reviewed by this rule rather than one by one."""
    body = source.removeprefix("^").removesuffix("$").removesuffix("/?")
    return source.startswith("^") and all(char.isalnum() or char in "/_-" for char in body)


# --- the inventory ----------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    source: str
    flags: int | None  # None: written inline, compiled with the table's flags
    where: str
    compiled: re.Pattern | None = None


def project_files() -> Iterator[tuple[str, Path]]:
    base = Path(settings.BASE_DIR)
    for app in APPS:
        for path in sorted((base / app).rglob("*.py")):
            if SKIPPED_DIRECTORIES.isdisjoint(path.relative_to(base).parts):
                module = ".".join(path.relative_to(base).with_suffix("").parts).removesuffix(".__init__")
                yield module, path


def compiled_patterns() -> list[Found]:
    found = []
    for module_name, _ in project_files():
        module = importlib.import_module(module_name)
        holders = [(module_name, module)] + [
            (f"{module_name}.{name}", value)
            for name, value in vars(module).items()
            if isinstance(value, type) and value.__module__ == module_name
        ]
        for holder_name, holder in holders:
            for name, value in vars(holder).items():
                if isinstance(value, re.Pattern):
                    found.append(Found(value.pattern, value.flags, f"{holder_name}.{name}", value))
    return found


def _pattern_argument(node: ast.Call) -> ast.expr | None:
    for keyword in node.keywords:
        if keyword.arg in ("pattern", "regex"):
            return keyword.value
    return node.args[0] if node.args else None


def source_patterns() -> tuple[list[Found], list[str]]:
    """Patterns written in the source, and the places that build one this test cannot review."""
    found: list[Found] = []
    unreviewable: list[str] = []
    for module_name, path in project_files():
        module = importlib.import_module(module_name)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            where = f"{path.relative_to(settings.BASE_DIR)}:{getattr(node, 'lineno', '?')}"
            argument = None
            if isinstance(node, ast.ImportFrom) and node.module == "re":
                unreviewable.append(f"{where}: import re and call re.<function>, so the inventory sees the pattern")
            elif isinstance(node, ast.Import) and any(a.name == "re" and a.asname for a in node.names):
                unreviewable.append(f"{where}: import re without renaming it")
            elif isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "re":
                    if func.attr in RE_FUNCTIONS:
                        argument = _pattern_argument(node)
                elif (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")) in DJANGO_REGEX_CALLS:
                    argument = _pattern_argument(node)
                elif any(keyword.arg == "regex" for keyword in node.keywords):
                    argument = _pattern_argument(node)
            elif isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "lookup_value_regex" for target in node.targets
            ):
                argument = node.value
            if argument is None:
                continue
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.append(Found(argument.value, None, where))
            elif isinstance(argument, ast.Name) and isinstance(getattr(module, argument.id, None), re.Pattern | str):
                continue  # a module-level pattern (found compiled) or constant string (found where it is compiled)
            else:
                unreviewable.append(f"{where}: a pattern built at run time ({ast.unparse(argument)[:60]})")
    return found, unreviewable


def inventory() -> list[Found]:
    found, _ = source_patterns()
    compiled = compiled_patterns()
    by_source = {item.source: item for item in found}
    by_source.update({item.source: item for item in compiled})  # prefer the real compiled object
    return list(by_source.values())


def test_every_pattern_in_the_project_is_reviewed():
    _, unreviewable = source_patterns()
    assert not unreviewable, "Write patterns as literals so they can be reviewed:\n" + "\n".join(unreviewable)
    missing = [
        f"{item.where}: {item.source!r}"
        for item in inventory()
        if item.source not in REVIEWED and not is_literal_route(item.source)
    ]
    assert not missing, (
        "Regular expressions not reviewed (add each to REVIEWED in budgetpay/tests/test_patterns.py with why it "
        "runs in linear time, the largest input the code lets it see, and inputs that would make it backtrack; "
        "or use string operations):\n" + "\n".join(missing)
    )


def test_the_inventory_finds_compiled_and_inline_patterns():
    """The scan itself works: it sees module-level patterns and the ones written inside calls."""
    sources = {item.source: item for item in inventory()}
    assert sources[r"\bbudget"].compiled is not None  # chatbot.rules._BUDGET, compiled at import
    assert r"^#[0-9a-fA-F]{6}$" in sources  # RegexValidator(...) in transactions/models.py
    assert any(is_literal_route(source) for source in sources)  # re_path(...) in the URL modules
    assert len(sources) >= len(REVIEWED)


# --- the measurement --------------------------------------------------------------------


def reviewed_patterns() -> list[tuple[str, re.Pattern, Reviewed]]:
    cases = []
    for item in sorted(inventory(), key=lambda item: item.where):
        review = REVIEWED.get(item.source)
        if review is None and is_literal_route(item.source):
            review = Reviewed("A URL of fixed path text.", URL_PATH_CHARS, (pump("", "api/", ""),))
        if review is not None:
            pattern = item.compiled or re.compile(item.source, review.flags)
            cases.append(pytest.param(item.where, pattern, review, id=item.where))
    return cases


@pytest.mark.parametrize(("where", "pattern", "review"), reviewed_patterns())
def test_each_pattern_runs_in_linear_time_on_adversarial_input(where, pattern, review):
    # findall tries every start position, so it costs at least what search, match, sub and split cost.
    slow = {}
    for attack in review.inputs():
        try:
            ratio = growth_ratio(pattern.findall, attack, review.max_chars)
        except TooSlow as exc:
            slow[attack.__name__] = str(exc)
            continue
        if ratio > MAX_GROWTH_RATIO:
            slow[attack.__name__] = f"{ratio:.0f}x the time for {GROWTH}x the input"
    assert not slow, f"{pattern.pattern!r} ({where}) backtracks: {slow}"
