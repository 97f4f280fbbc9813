from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from budgetpay.api import api_not_found
from budgetpay.health import health
from budgets.pages import home

api_v1 = [
    path("", include("users.api_urls")),
    path("", include("transactions.api_urls")),
    path("", include("budgets.api_urls")),
    path("", include("goals.api_urls")),
    path("", include("notifications.api_urls")),
    path("", include("chatbot.api_urls")),
]

# The admin signs in through allauth's login page, which is rate limited, instead of its own.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health", health, name="health"),
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script from ?script, not inline, so the docs satisfy
    # the Content-Security-Policy; Swagger UI itself comes from our static files (sidecar).
    re_path(
        r"^api/docs/?$",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api_docs/swagger_ui.html"),
        name="api-docs",
    ),
    path("api/v1/", include(api_v1)),
    re_path(r"^api/", api_not_found),
    path("accounts/", include("allauth.urls")),
    # The original Budget Pay web client's API (docs/compat.md); every path answers 404 unless
    # COMPAT_ORIGINAL_API is on (budgetpay.compat.gate).
    path("compat/v0/", include("budgetpay.compat.urls")),
    # The front door: the dashboard once signed in, the landing page before. Named plainly
    # "home" because settings.LOGIN_REDIRECT_URL and every app's templates lead there.
    path("", home, name="home"),
    path("", include("users.urls")),
    path("", include("transactions.urls")),
    path("", include("goals.urls")),
    path("", include("budgets.urls")),
    path("", include("notifications.urls")),
    path("", include("chatbot.urls")),
]
