"""The signed-in pages not yet moved into their apps: dashboard, budgets, goals,
notifications, the assistant and the account's API access.

Each view parses a form, calls one service (the only writers) or selectors, and
renders. Objects are looked up through the owner's selector, so another person's id
answers 404; CSRF is checked by Django's middleware on every POST.
"""


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from budgetpay import ai_limit, llm
from budgetpay.pages import form_data as _data
from chatbot import selectors as chat_selectors
from chatbot import services as chat_services
from chatbot.chat import chat_send
from users import services as user_services
from users.forms import (
    ChatForm,
)
from users.selectors import active_refresh_tokens

NOTIFICATIONS_PER_PAGE = 20
CHAT_CONVERSATIONS = 30


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def api_access_page(request: HttpRequest) -> HttpResponse:
    """Create a JWT pair for a script (shown once, never stored in the page's session),
    or revoke every refresh token the person holds."""
    tokens = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            tokens = user_services.tokens_for_user(user=request.user)
        elif action == "revoke":
            revoked = user_services.user_revoke_refresh_tokens(user=request.user)
            messages.success(
                request,
                f"Revoked {revoked} refresh token{'s' if revoked != 1 else ''}. Scripts and apps must sign in again.",
            )
            return redirect("api-access")
        else:
            messages.error(request, "Choose to create a token or to revoke them.")
            return redirect("api-access")
    active = list(active_refresh_tokens(user=request.user)[:20])
    return render(request, "users/api_access.html", {"tokens": tokens, "active": active})


# --- Assistant ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def chat_page(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The assistant. With JavaScript the page talks to the chatbot's REST API; this view
    renders the conversation and, without JavaScript, sends the message itself. A message
    sent here counts in the same per-minute AI bucket as the API's and the socket's; past
    it, or past the daily limit, the form says so with a 429 and Retry-After."""
    conversations = list(chat_selectors.conversation_list(user=request.user)[:CHAT_CONVERSATIONS])
    conversation = None
    if pk is not None:
        conversation = get_object_or_404(chat_selectors.conversation_detail_list(user=request.user), pk=pk)
    form = ChatForm(_data(request))
    retry_after = None
    if request.method == "POST" and form.is_valid():
        try:
            ai_limit.rate_take(user=request.user)
            result = chat_send(user=request.user, conversation=conversation, content=form.cleaned_data["content"])
        except (ai_limit.RateLimited, llm.DailyLimitReached) as exc:
            form.add_error("content", str(exc))
            retry_after = exc.retry_after
        else:
            return redirect("chat-conversation", pk=result.conversation.pk)
    shown = [message for message in conversation.messages.all() if message.role != "tool" and message.content] if conversation else []
    response = render(
        request,
        "pages/chat.html",
        {"form": form, "conversation": conversation, "conversations": conversations, "chat_messages": shown},
        status=429 if retry_after else 200,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@login_required
@require_POST
def chat_action_page(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Confirm or cancel a change the assistant proposed (the no-JavaScript path)."""
    proposed = get_object_or_404(chat_selectors.action_list(user=request.user), pk=pk)
    try:
        if decision == "confirm":
            chat_services.action_confirm(action=proposed)
            messages.success(request, f"Done: {proposed.summary}")
        else:
            chat_services.action_cancel(action=proposed)
            messages.info(request, "Cancelled; nothing was changed.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("chat-conversation", pk=proposed.conversation_id)
