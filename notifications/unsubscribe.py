"""One-click unsubscribe from notification emails, without signing in (RFC 8058).

The link in each email, and its `List-Unsubscribe` header, hold a signed token naming the person
and the types the email was about (notifications.email.unsubscribe_token). GET shows what the
link will turn off and a button: a mail scanner that follows links changes nothing. POST turns
those types' email off and answers 200; a mail provider's one-click POST (body
`List-Unsubscribe=One-Click`) carries no session and no CSRF token, so this view alone is
exempt from the CSRF check: the signed token is what authorises it. A token this site did not
sign, or altered, answers 400.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from notifications.email import email_unsubscribe, unsubscribe_read
from notifications.models import Notification

TEMPLATE = "notifications/unsubscribe.html"


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def email_unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    read = unsubscribe_read(token)
    if read is None:
        return render(request, TEMPLATE, {"state": "invalid"}, status=400)
    user_id, types = read
    labels = dict(Notification.Type.choices)
    context = {"types": [labels[type] for type in types], "token": token}
    if request.method == "GET":
        return render(request, TEMPLATE, {**context, "state": "confirm"})
    if not email_unsubscribe(user_id=user_id, types=types):
        return render(request, TEMPLATE, {"state": "invalid"}, status=400)
    return render(request, TEMPLATE, {**context, "state": "done"})
