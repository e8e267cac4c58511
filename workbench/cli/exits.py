"""Exit codes of the ``workbench`` command and the errors that carry them."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    """What a ``workbench`` process exit status means (documented in ``--help``)."""

    OK = 0  # success; for `send`, the upstream answered 2xx
    ERROR = 1  # anything else: bad workspace, vault unavailable, unknown project...
    USAGE = 2  # the command line itself is wrong (syntax, or a value given on it)
    ENGINE = 3  # `send`: the engine refused or could not complete the request
    UPSTREAM_4XX = 4
    UPSTREAM_5XX = 5
    UPSTREAM_3XX = 6  # redirects are returned, never followed
    UPSTREAM_OTHER = 7  # any other status (1xx or beyond 599)
    INTERRUPTED = 130  # Ctrl-C, the shell's convention (128 + SIGINT)
    TERMINATED = 143  # SIGTERM (128 + 15), after a clean shutdown


EXIT_CODES_HELP = """\
exit codes:
  0    success (for send: the upstream answered 2xx)
  1    other errors (bad workspace, vault unavailable, unknown project or account...)
  2    usage error (bad flags or values on the command line)
  3    send: the engine refused or failed the request (restricted header, domain not
       allowed, rate limited, upstream timeout...); no upstream answer is relayed
  4    send: the upstream answered 4xx
  5    send: the upstream answered 5xx
  6    send: the upstream answered 3xx (redirects are returned, never followed)
  7    send: the upstream answered another status (1xx, or above 599)
  130  interrupted (Ctrl-C); 143 terminated (SIGTERM)
"""


def exit_for_status(status: int) -> Exit:
    """The exit code for an upstream HTTP status that the engine relayed."""
    if 200 <= status < 300:
        return Exit.OK
    if 300 <= status < 400:
        return Exit.UPSTREAM_3XX
    if 400 <= status < 500:
        return Exit.UPSTREAM_4XX
    if 500 <= status < 600:
        return Exit.UPSTREAM_5XX
    return Exit.UPSTREAM_OTHER


class CliError(Exception):
    """A failure to report as one line on stderr, with the exit code to use.

    Attributes:
        message: the sentence shown after ``workbench: error:``.
        code: the process exit status.
    """

    def __init__(self, message: str, code: Exit = Exit.ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class UsageError(CliError):
    """The command line is wrong: a malformed flag value, a missing argument."""

    def __init__(self, message: str) -> None:
        super().__init__(message, Exit.USAGE)
