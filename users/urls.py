from django.urls import path

from users import views

urlpatterns = [
    path("", views.home, name="home"),
    path("account/profile/", views.profile, name="profile"),
]
