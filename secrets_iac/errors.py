"""One error type for user-facing failures: the CLI prints it without a traceback."""


class UserError(Exception):
    """A failure caused by input (a file, a key, a flag); the message names what is wrong."""

    exit_code: int = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


EXIT_USAGE = 64
"""Bad command-line usage (BSD sysexits EX_USAGE): never 2, which `--detailed-exitcode` means "changes"."""
EXIT_INTERRUPTED = 130
"""Interrupted (Ctrl-C), as shells report SIGINT."""


class UsageError(UserError):
    """Flags that cannot go together, or a value a flag does not take."""

    exit_code = EXIT_USAGE
