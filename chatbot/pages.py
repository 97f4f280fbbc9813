"""The assistant's pages: the conversation (sent without JavaScript too) and the
confirmation or cancellation of a change the assistant proposed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from budgetpay import ai_limit, llm
from budgetpay.pages import form_data
from chatbot import selectors as chat_selectors
from chatbot import services as chat_services
from chatbot.chat import chat_send
from chatbot.forms import ChatForm

CHAT_CONVERSATIONS = 30


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
    form = ChatForm(form_data(request))
    retry_after = None
    if request.method == "POST" and form.is_valid():
        try:
            ai_limit.rate_take(user=request.user)
            result = chat_send(user=request.user, conversation=conversation, content=form.cleaned_data["content"])
        except (ai_limit.RateLimited, llm.DailyLimitReached) as exc:
            form.add_error("content", str(exc))
            retry_after = exc.retry_after
        else:
            return redirect("chatbot:conversation", pk=result.conversation.pk)
    shown = (
        [message for message in conversation.messages.all() if message.role != "tool" and message.content]
        if conversation
        else []
    )
    response = render(
        request,
        "chatbot/chat.html",
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
    return redirect("chatbot:conversation", pk=proposed.conversation_id)
