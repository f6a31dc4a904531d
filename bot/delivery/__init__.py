"""Delivery: the worker that sends outbox rows through the channel adapters."""
