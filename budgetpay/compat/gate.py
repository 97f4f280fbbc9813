"""The switch: with COMPAT_ORIGINAL_API off, nothing under /compat/ exists.

A middleware, outermost, rather than a condition in the URL configuration: the setting is
read on every request (so tests may turn it on and off), and the 404 comes before CORS
could answer a preflight or a view could say anything about itself. The 404 is the site's
ordinary one, the same as for any path that was never there.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse

PREFIX = "/compat/"


class CompatGateMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(PREFIX) and not settings.COMPAT_ORIGINAL_API:
            raise Http404("The compatibility API is off.")
        return self.get_response(request)
