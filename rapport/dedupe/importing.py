"""Imports use the same matcher (registered into customers' import seam, see apps.py)."""


def register() -> None:
    try:
        from rapport.customers.importing.matching import register_matcher
    except ImportError:  # the seam is not there (an older customers app)
        return
    from rapport.dedupe.services import import_matches

    register_matcher(import_matches)
