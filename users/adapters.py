from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.http import HttpRequest

from budgetpay.client_ip import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's rate limits (login_failed, signup, password reset) key on this. Its own
        # helper reads REMOTE_ADDR, which behind nginx is nginx: one bucket for everyone;
        # and with ALLAUTH_TRUSTED_PROXY_COUNT it raises (a 500) on a short header.
        return client_ip(request)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        name = data.get("name") or " ".join(
            part for part in (data.get("first_name"), data.get("last_name")) if part
        )
        user.full_name = (name or "")[:150]
        return user
