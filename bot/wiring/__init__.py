"""Wiring: the composition root (`bootstrap`) and one module per channel that builds its
sender, its routes and its background workers from settings."""
