from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from budgetpay import pwa
from budgetpay.api import api_not_found
from budgetpay.health import health
from budgets.pages import home

# The domain apps, in the layer order (.importlinter): each serves its API from api_urls.py
# and its pages from urls.py, under paths of its own.
APPS = ("users", "transactions", "goals", "budgets", "chatbot", "notifications")

api_v1 = [path("", include(f"{app}.api_urls")) for app in APPS]

# The admin signs in through allauth's login page, which is rate limited, instead of its own.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health", health, name="health"),
    # At the root, so the service worker's scope is every page (budgetpay/pwa.py).
    path("sw.js", pwa.service_worker, name="service-worker"),
    path("manifest.webmanifest", pwa.web_manifest, name="web-manifest"),
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
    *(path("", include(f"{app}.urls")) for app in APPS),
]
