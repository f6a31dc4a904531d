"""Erasure (right to be forgotten) and retention: the checklist's steps, performed by
the one queue worker, and the scheduled retention job."""
