"""Engagement: the company writing first. Segments (saved filters over the store),
one-off campaigns with per-channel templates, the send ledger's rules at the moment of
sending (consent, frequency cap, quiet hours, holdout) and campaign reports.

Reads and writes the CRM store like `analytics` does; imports nothing of `bot` or the
channel adapters (the sending itself is bot/delivery/campaign_queue.py)."""
