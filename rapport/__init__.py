"""Rapport: an open-source customer-relationship system."""

__version__ = "0.1.0"
