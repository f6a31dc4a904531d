"""Signed outbound webhooks: signing (Standard Webhooks), the address check against
SSRF, the delivery queue on the one queue worker, and the alarm when a subscription is
turned off. The events themselves are written by crm_store (crm_store/webhooks.py)."""
