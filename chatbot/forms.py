"""The form of the assistant's page."""

from django import forms

from chatbot.chat import MAX_CONTENT_CHARS


class ChatForm(forms.Form):
    """A message to the assistant, for the page without JavaScript (with it, the page posts to the REST API)."""

    content = forms.CharField(
        max_length=MAX_CONTENT_CHARS,
        label="Message",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Ask about your spending, budgets or goals…"}),
        error_messages={
            "required": "Write a message.",
            "max_length": f"Messages are at most {MAX_CONTENT_CHARS} characters.",
        },
    )
