"""The site's URLs with the compatibility API mounted, as budgetpay/urls.py mounts it once its
line is added: `path("compat/v0/", include("budgetpay.compat.urls"))`. The tests use this
configuration so they run whether or not that line is there yet."""

from django.urls import include, path

from budgetpay.urls import urlpatterns as site_urlpatterns

urlpatterns = [path("compat/v0/", include("budgetpay.compat.urls")), *site_urlpatterns]
