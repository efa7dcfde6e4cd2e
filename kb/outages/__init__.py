"""Outages: declared service problems, their updates, banner, subscriptions and history."""
