"""The account pages: the profile, the once-only check of currency and time zone after
signing in, and API access (token pairs for scripts). Signing in, signing up and the
email, password and connected-account pages are allauth's, in the same layout
(templates/users/account_layout.html). The domain apps' pages live in each app."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from budgetpay.pages import next_url as safe_next_url
from users import services
from users.adapters import browser_locale_settings
from users.forms import LocaleSettingsForm, ProfileForm
from users.selectors import active_refresh_tokens


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        # Saving the page that shows currency and time zone confirms them.
        services.user_update(
            user=request.user,
            **{name: form.cleaned_data[name] for name in form.changed_data},
            confirmed_locale_settings=True,
        )
        messages.success(request, "Your profile was saved.")
        return redirect("profile")
    return render(request, "users/profile.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def locale_settings_check(request: HttpRequest) -> HttpResponse:
    """Asked once after signing in, of people who may never have chosen their currency and
    time zone (users.adapters.AccountAdapter.post_login sends them here); saving it
    confirms them, and the page is not shown again."""
    # A URL, never a view name: redirect() would also resolve "next=account_logout".
    next_url = safe_next_url(request, default=reverse("home"))
    if request.user.confirmed_locale_settings:
        return HttpResponseRedirect(next_url)
    form = LocaleSettingsForm(
        request.POST or None, instance=request.user, browser_currency=browser_locale_settings(request).get("currency")
    )
    if request.method == "POST" and form.is_valid():
        user = services.user_update(
            user=request.user,
            currency=form.cleaned_data["currency"],
            timezone=form.cleaned_data["timezone"],
            confirmed_locale_settings=True,
        )
        messages.success(request, f"Saved: your money is in {user.currency} and your days are in {user.timezone}.")
        return HttpResponseRedirect(next_url)
    return render(request, "users/locale_settings_check.html", {"form": form, "next": next_url})


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
            tokens = services.tokens_for_user(user=request.user)
        elif action == "revoke":
            revoked = services.user_revoke_refresh_tokens(user=request.user)
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
