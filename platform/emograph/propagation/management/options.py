"""Command-line option types shared by the propagation commands."""

import argparse

from django.utils.dateparse import parse_datetime


def zoned_datetime(text):
    """argparse `type=` for a window bound: ISO 8601 with a zone, else a clear option error."""
    try:
        value = parse_datetime(text)
    except ValueError:  # well-formed but impossible, e.g. month 13
        value = None
    if value is None or value.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"an ISO 8601 date-time with a zone is required, got {text!r}"
        )
    return value
