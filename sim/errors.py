"""One error type for bad input, so the command line can report it without a traceback."""

from __future__ import annotations

import unicodedata


def printable(text: str) -> str:
    """``text`` with control characters escaped (``\\x1b``), so a hostile id cannot drive the terminal."""
    if text.isprintable():
        return text
    return "".join(c if c == " " or unicodedata.category(c)[0] not in "CZ" or c.isprintable()
                   else repr(c)[1:-1] for c in text)


class InputError(Exception):
    """A problem with a user's file: which file, which field, what is wrong.

    The command line catches this, prints ``str(error)`` and exits with code 2.
    """

    def __init__(self, file: str, field: str, problem: str) -> None:
        self.file = str(file)
        self.field = field
        self.problem = problem
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return printable(f"{where}: {self.problem}")
