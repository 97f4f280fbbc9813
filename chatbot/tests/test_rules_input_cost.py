"""A chat message cannot freeze the process (issue 12, item 3).

With AI off the rules read every message. The "add ..." command of the issue,
"add 5 a in " + 2,000 spaces + "x,", took 7 s of CPU in a backtracking pattern (about
56 s at the 4,000-character limit), holding the GIL for every request of that process.
Sent through the REST endpoint as an attacker would, its cost now grows linearly with
its length, and a message longer than the rules read is answered without being parsed.
"""

import pytest

from budgetpay.testing.chat import send
from budgetpay.testing.timing import GROWTH, MAX_GROWTH_RATIO, growth_ratio
from chatbot.chat import MAX_CONTENT_CHARS
from chatbot.models import ProposedAction
from chatbot.rules import MAX_RULES_CHARS, TOO_LONG

pytestmark = pytest.mark.django_db


def spaced_add(length: int) -> str:
    """The issue's message, padded with spaces to `length` characters."""
    return "add 5 a in " + " " * (length - len("add 5 a in x,")) + "x,"


def test_the_attack_message_of_the_largest_size_is_answered_without_parsing(auth_client, user, ai_off):
    assert MAX_RULES_CHARS * GROWTH == MAX_CONTENT_CHARS
    response = send(auth_client, spaced_add(MAX_CONTENT_CHARS))
    assert response.status_code == 201
    reply = response.json()["reply"]
    assert reply["data"] == {"source": "rules", "reason": "no_key"}
    assert TOO_LONG in reply["content"]
    assert not ProposedAction.objects.exists()


def test_a_spaced_out_command_the_rules_read_still_proposes_it(auth_client, ai_off):
    reply = send(auth_client, spaced_add(MAX_RULES_CHARS)).json()["reply"]
    [action] = reply["actions"]
    assert (action["amount"], action["description"]) == ("5.00", "a in x,")


@pytest.mark.parametrize(
    "attack",
    [
        spaced_add,
        lambda n: "delete a" + " " * (n - 9) + "b",
        lambda n: "add" + " " * (n - 4) + "x",
        lambda n: "how much did I spend " + "on " * ((n - 21) // 3),
    ],
    ids=["add-in-spaces", "delete-spaces", "add-spaces", "on-on-on"],
)
def test_what_a_message_costs_grows_linearly_with_its_length(auth_client, ai_off, attack):
    """1x is what the rules read, 8x the longest message the chat takes; each request is
    stopped after seconds (the ceiling) rather than running on."""

    def post(content: str) -> None:
        assert send(auth_client, content).status_code == 201

    ratio = growth_ratio(post, lambda n: attack(n)[:n], MAX_RULES_CHARS)
    assert ratio < MAX_GROWTH_RATIO
