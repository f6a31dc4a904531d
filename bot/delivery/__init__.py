"""Delivery: the one queue worker and retry policy (`queue.py`), and the outbox queue
that sends outbox rows through the channel adapters on it (`outbox_queue.py`, `worker.py`)."""
