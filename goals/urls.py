"""The goals' pages (the API is in api_urls.py)."""

from django.urls import path

from goals import pages

app_name = "goals"

urlpatterns = [
    path("goals/", pages.goal_list_page, name="list"),
    path("goals/new/", pages.goal_create_page, name="create"),
    path("goals/<int:pk>/edit/", pages.goal_edit_page, name="edit"),
    path("goals/<int:pk>/delete/", pages.goal_delete_page, name="delete"),
    path("goals/<int:pk>/money/", pages.goal_entry_page, name="entry"),
]
