"""Local worker processes of a batch, forked from a server process that has imported the engine once.

Workers fork from multiprocessing's fork server, never from the batch's own process, whose threads (numpy's,
Arrow's, a Dask client's) could deadlock a forked child. The server imports the engine before it forks any worker,
so a worker starts in milliseconds with the engine imported. Importing the engine takes about 1.3 s; a command
that knows it will run a batch on local processes calls ``start_server`` before it imports the engine itself, so
the two imports run side by side on two cores instead of one after the other.

This module imports only the standard library: starting the server costs nothing before the engine is imported.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import signal
from collections.abc import Iterator
from contextlib import contextmanager

ENGINE = ["sim.batch"]  # what the server imports before it forks a worker: everything a worker runs


def process_context() -> multiprocessing.context.BaseContext:
    """The multiprocessing context of a batch's local workers: forked from a server that has imported ENGINE."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(ENGINE)
    return context


@contextmanager
def interrupts_ignored() -> Iterator[None]:
    """Ignore Ctrl-C while worker processes start: they inherit it (an ignored signal stays ignored in a child,
    through exec too), and leave Ctrl-C to the batch's process, which stops them and says what is kept."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def start_server() -> None:
    """Start the fork server now (it imports the engine while this process goes on), ignoring Ctrl-C like the
    workers it forks. A batch started later in this process uses it; starting it again does nothing."""
    process_context()
    with interrupts_ignored():
        multiprocessing.forkserver.ensure_running()


def ignore_interrupts() -> None:
    """A worker's initializer: Ctrl-C is the batch process's to handle (no worker tracebacks)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
