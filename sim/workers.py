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
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

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


class Interrupts:
    """Ctrl-C noted by a signal handler and raised as KeyboardInterrupt only where the batch's process calls
    ``check``, or at once inside ``allowed``.

    Why: an executor finishes futures from a thread of its own (the process pool's result thread, the Dask client's
    event loop), taking each future's lock; a KeyboardInterrupt raised at any point of the batch's process could
    come while it holds one (inside ``concurrent.futures.wait``, or a ``with`` on a future's condition), which is
    then never released, and the executor's thread, then its shutdown, wait for ever: the batch hung on Ctrl-C."""

    def __init__(self) -> None:
        self.pending = False
        self.deferring = False

    def note(self, _signum: int, _frame: FrameType | None) -> None:
        self.pending = True

    def check(self) -> None:
        """Raise KeyboardInterrupt if Ctrl-C was pressed since the deferral began (once per Ctrl-C)."""
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt

    @contextmanager
    def allowed(self) -> Iterator[None]:
        """Let Ctrl-C interrupt the block at once: for work of this thread that touches no executor."""
        self.check()
        if not self.deferring:
            yield
            return
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, self.note)


_DEFERRING: list[Interrupts] = []  # the deferral in force, innermost last (SIGINT's handler is the process's)


def active_interrupts() -> Interrupts:
    """The ``Interrupts`` of the deferral in force, for code that waits on an executor without being handed it
    (``sim.batch.map_in_order``); outside any deferral, one that never raises (Ctrl-C raises where it lands)."""
    return _DEFERRING[-1] if _DEFERRING else Interrupts()


@contextmanager
def interrupts_deferred() -> Iterator[Interrupts]:
    """Note Ctrl-C instead of raising KeyboardInterrupt wherever it lands (``Interrupts``), for the block; raise
    it at the end of the block if the block did not. Only where Ctrl-C raises KeyboardInterrupt (the main thread,
    with Python's own handler): an ignored or otherwise handled Ctrl-C is left as it is."""
    interrupts = Interrupts()
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield interrupts
        return
    signal.signal(signal.SIGINT, interrupts.note)
    interrupts.deferring = True
    _DEFERRING.append(interrupts)
    try:
        yield interrupts
    finally:
        _DEFERRING.remove(interrupts)
        interrupts.deferring = False
        signal.signal(signal.SIGINT, signal.default_int_handler)
    interrupts.check()


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
