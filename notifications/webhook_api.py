"""Placeholder: filled in by the work on outside deliveries."""

urlpatterns: list = []
