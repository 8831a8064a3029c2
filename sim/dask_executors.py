"""Dask executors for a batch: a running Dask cluster, or a LocalCluster started for the batch.

Kept apart from sim/batch.py, which imports this module only when a batch asks for Dask (``--scheduler``,
``--dask-local``): importing Dask's distributed takes about 0.2 s, which neither a local batch's process nor its
workers should pay.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

from distributed import Client, LocalCluster

from sim.errors import InputError
from sim.workers import interrupts_ignored


@contextmanager
def open_dask_executor(scheduler: str | None, dask_local: int | None) -> Iterator[tuple[Executor, int, str]]:
    """The executor of a Dask LocalCluster of ``dask_local`` workers started for the batch, or else of the running
    cluster at ``scheduler``; with its number of worker slots and a description (``sim.batch.open_executor``)."""
    if dask_local is not None:
        if dask_local < 1:
            raise InputError("--dask-local", "", "must be at least 1")
        # ":0": any free port for the cluster's web endpoints (None would still try 8787, warning when it is taken);
        # its worker processes start ignoring Ctrl-C, and its logs are silenced (a lost worker is a failed run)
        with interrupts_ignored():
            cluster = LocalCluster(n_workers=dask_local, threads_per_worker=1, processes=True, dashboard_address=":0",
                                   silence_logs=logging.CRITICAL)
        with cluster, Client(cluster) as client:
            yield client.get_executor(), dask_local, f"Dask LocalCluster of {dask_local} workers"
        return
    try:
        client = Client(scheduler, timeout=10)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError("--scheduler", str(scheduler), f"cannot connect: {exc}") from None
    with client:
        slots = sum(client.nthreads().values()) or 1
        yield client.get_executor(), slots, f"Dask cluster {scheduler} ({slots} worker threads)"
