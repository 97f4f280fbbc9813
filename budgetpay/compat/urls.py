"""The original API's paths (its client's lib/api.ts), mounted at compat/v0/ by budgetpay/urls.py:
the client's base URL is https://<host>/compat/v0 and its own /api/v1/... follow. Each path
answers with and without a trailing slash; any other path under the prefix is FastAPI's
JSON 404. Nothing answers unless COMPAT_ORIGINAL_API is on (budgetpay.compat.gate)."""

from django.urls import URLPattern, path

from budgetpay.compat import auth_views, views
from budgetpay.compat.errors import path_not_found

app_name = "compat"


def _route(route: str, view, name: str) -> list[URLPattern]:
    return [path(f"api/v1/{route}", view, name=name), path(f"api/v1/{route}/", view)]


urlpatterns = [
    *_route("auth/jwt/login", auth_views.LoginView.as_view(), "login"),
    *_route("auth/jwt/logout", auth_views.LogoutView.as_view(), "logout"),
    *_route("auth/register", auth_views.RegisterView.as_view(), "register"),
    *_route("auth/request-verify-token", auth_views.RequestVerifyTokenView.as_view(), "request-verify-token"),
    *_route("auth/verify", auth_views.VerifyView.as_view(), "verify"),
    *_route("auth/forgot-password", auth_views.ForgotPasswordView.as_view(), "forgot-password"),
    *_route("auth/reset-password", auth_views.ResetPasswordView.as_view(), "reset-password"),
    *_route("users/me", views.MeView.as_view(), "me"),
    *_route("users/deactivate", views.DeactivateView.as_view(), "deactivate"),
    *_route("categories", views.CategoryListView.as_view(), "categories"),
    *_route("categories/<str:pk>", views.CategoryDetailView.as_view(), "category"),
    *_route("transactions", views.TransactionListView.as_view(), "transactions"),
    *_route("transactions/<str:pk>", views.TransactionDetailView.as_view(), "transaction"),
    *_route("chatbot/ask", views.AskView.as_view(), "chatbot-ask"),
    path("", path_not_found),
    path("<path:rest>", path_not_found),
]
