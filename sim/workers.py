"""Local worker processes of a batch, forked from a server process that has imported the engine once.

Workers fork from multiprocessing's fork server, never from the batch's own process, whose threads (numpy's,
Arrow's, a Dask client's) could deadlock a forked child. The server imports the engine before it forks any worker,
so a worker starts in milliseconds with the engine imported. Importing the engine takes about 1.3 s; a command
that knows it will run a batch on local processes calls ``start_server`` before it imports the engine itself, so
the two imports run side by side on two cores instead of one after the other.

This module imports only the standard library: starting the server costs nothing before the engine is imported.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import signal
from collections.abc import Iterator
from contextlib import contextmanager

ENGINE = ["sim.batch"]  # what the server imports before it forks a worker: everything a worker runs
WORKER_GC_THRESHOLDS = (20_000, 50, 100)  # a worker's garbage collector: allocations, then younger collections


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


def start_worker() -> None:
    """A worker's initializer: Ctrl-C is the batch process's to handle (no worker tracebacks), and the garbage
    collector runs less often (``WORKER_GC_THRESHOLDS``), leaving alone what the worker inherits from the server.

    Why: a worker keeps the engine's memo tables (routes, supply traces, supply metrics: hundreds of thousands of
    objects) for the whole batch, and Python's default thresholds (700, 10, 10) had the collector walk them over and
    over, about 7% of a run's time. Collecting less often changes no result (a run never depends on when its
    garbage is collected); a few runs' worth of garbage waits between collections, so memory stays flat."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.freeze()  # the imported engine, forked from the server: never garbage, never walked again
    gc.set_threshold(*WORKER_GC_THRESHOLDS)
