"""Logging helpers."""

import logging


class OneLineRefusals(logging.Filter):
    """A refused request (a 4xx: permission denied, a bad request) is logged as one line: Django
    attaches the exception to these records, which would print a whole traceback for each 403."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
