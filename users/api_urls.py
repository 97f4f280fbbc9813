from django.urls import re_path
from rest_framework_simplejwt.views import TokenBlacklistView

from users import views

urlpatterns = [
    re_path(r"^auth/register/?$", views.RegisterView.as_view(), name="auth-register"),
    re_path(r"^auth/token/?$", views.LoginView.as_view(), name="auth-token"),
    re_path(r"^auth/token/refresh/?$", views.RefreshView.as_view(), name="auth-token-refresh"),
    re_path(r"^auth/token/verify/?$", views.VerifyView.as_view(), name="auth-token-verify"),
    re_path(r"^auth/logout/?$", TokenBlacklistView.as_view(), name="auth-logout"),
    re_path(r"^auth/password/change/?$", views.PasswordChangeView.as_view(), name="auth-password-change"),
    re_path(r"^auth/social/google/?$", views.SocialTokenView.as_view(provider_id="google"), name="auth-social-google"),
    re_path(r"^auth/social/github/?$", views.SocialTokenView.as_view(provider_id="github"), name="auth-social-github"),
    re_path(r"^users/me/?$", views.MeView.as_view(), name="users-me"),
    re_path(r"^users/me/export/?$", views.DataExportView.as_view(), name="users-me-export"),
]
