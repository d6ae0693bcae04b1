"""One error type for user-facing failures: the CLI prints it without a traceback."""

from secrets_iac.rules.limits import shorten_runs


class UserError(Exception):
    """A failure caused by input (a file, a key, a flag); the message names what is wrong.

    A message never repeats a huge input: long unbroken runs are cut (`rules.limits.shorten_runs`)
    whichever code built it; the builders quote values with `excerpt` themselves.
    """

    exit_code: int = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(shorten_runs(message))
        if exit_code is not None:
            self.exit_code = exit_code


EXIT_USAGE = 64
"""Bad command-line usage (BSD sysexits EX_USAGE): never 2, which `--detailed-exitcode` means "changes"."""
EXIT_INTERRUPTED = 130
"""Interrupted (Ctrl-C), as shells report SIGINT."""


class UsageError(UserError):
    """Flags that cannot go together, or a value a flag does not take."""

    exit_code = EXIT_USAGE
