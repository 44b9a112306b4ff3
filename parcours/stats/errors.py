"""Errors raised by the science core on bad input.

The CLI maps :class:`BadInputError` to exit code 2 with its one-line message.
"""


class BadInputError(ValueError):
    """The input data cannot be used as given (unknown column, wrong type, empty file...)."""
