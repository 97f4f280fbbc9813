"""Django's HTTP handler for Daphne, with the request run in one worker-thread call.

Django's own ASGIHandler builds its middleware chain in async mode: every sync middleware
and the view then sit behind their own sync_to_async/async_to_sync adapter, and a request
crosses between the event loop and its worker thread at each boundary (about six times for
an API write with this project's middleware, each crossing a thread hand-off). Every
middleware here is sync and every view is sync, so this handler builds the chain in sync
mode and runs all of it, view included, in one sync_to_async call: the same middleware in
the same order, the same thread-sensitive worker, one crossing instead of six. Reading the
body, the request signals and sending the answer (streaming included) stay Django's.
"""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase


class SyncChainASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
