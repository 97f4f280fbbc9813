from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from budgetpay.client_ip import client_ip
from budgetpay.formatting import DEFAULT_LOCALE, currency_for_locale, locale_from_accept_language
from users.forms import SignupExtraForm, currency_choices
from users.models import User


def browser_locale_settings(request: HttpRequest) -> dict[str, str]:
    """The locale and currency a browser's Accept-Language suggests for a new person
    ("de-DE" → de-DE and EUR). The currency is left out when the region has none we know."""
    locale = locale_from_accept_language(request.headers.get("Accept-Language", "")) or DEFAULT_LOCALE
    settings = {"locale": locale}
    currency = currency_for_locale(locale)
    if currency in dict(currency_choices()):
        settings["currency"] = currency
    return settings


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's rate limits (login_failed, signup, password reset) key on this. Its own
        # helper reads REMOTE_ADDR, which behind nginx is nginx: one bucket for everyone;
        # and with ALLAUTH_TRUSTED_PROXY_COUNT it raises (a 500) on a short header.
        return client_ip(request)

    def new_user(self, request: HttpRequest) -> User:
        # Every new person (the sign-up page, a social sign-in) starts from the browser's
        # language and its region's currency; until they have chosen a time zone too they
        # are asked to check both after signing in.
        user = super().new_user(request)
        for name, value in browser_locale_settings(request).items():
            setattr(user, name, value)
        user.confirmed_locale_settings = False
        return user

    def save_user(self, request: HttpRequest, user: User, form, commit: bool = True) -> User:
        if isinstance(form, SignupExtraForm):
            form.apply_locale_settings(user)
        return super().save_user(request, user, form, commit=commit)

    def post_login(self, request: HttpRequest, user: User, **kwargs) -> HttpResponse:
        """Someone who may never have chosen their currency and time zone is shown them once,
        on the way to where they were going."""
        response = super().post_login(request, user, **kwargs)
        if user.confirmed_locale_settings or not isinstance(response, HttpResponseRedirect):
            return response
        return HttpResponseRedirect(f"{reverse('locale-settings-check')}?{urlencode({'next': response.url})}")


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        name = data.get("name") or " ".join(part for part in (data.get("first_name"), data.get("last_name")) if part)
        user.full_name = (name or "")[:150]
        return user
