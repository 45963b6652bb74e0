"""The one exception type for errors a user can cause; the CLI prints its message and exits non-zero."""


class LiftError(Exception):
    """A problem with the user's input or environment, with a message that says what to do."""
