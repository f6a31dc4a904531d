"""Switchboard's own HTTP API: staff endpoints, health, and the error shapes at the edge."""
