"""The goals' pages (the API is in api_urls.py)."""

from django.urls import path

from goals import pages

app_name = "goals"

urlpatterns = [
    path("goals/", pages.goal_list_page, name="list"),
    *pages.GOAL_PAGES.paths("goals/"),
    path("goals/<int:pk>/money/", pages.goal_entry_page, name="entry"),
]
