"""The one exception type the CLI turns into a message and a non-zero exit."""


class EvaluationError(Exception):
    """A problem the user can act on; printed without a traceback."""
