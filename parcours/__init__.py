"""Parcours — open platform for employment support."""
