"""Ordered parallel map over a local process pool or a Dask cluster, with a progress bar.

>>> pmap(integrate, frames, desc="integrating")              # local processes
>>> pmap(integrate, frames, scheduler="tcp://host:8786")     # Dask cluster

Results come back in input order.  A failing input raises
:class:`beamkit.errors.BatchError` naming its index and value, chained to the
original exception (with the worker's traceback as a note).
"""
from __future__ import annotations

import multiprocessing
import os
import pickle
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from ..errors import BatchError, BeamkitError, ParameterError
from .log import get_logger, progress as _progress

__all__ = ["pmap"]

log = get_logger("parallel")


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it pickles (to travel back from a worker), else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 -- any pickling problem means: send text instead
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _run_chunk(func, chunk):
    """Apply ``func`` to each item; ('ok', results) or ('err', offset, exception, traceback text)."""
    out = []
    for k, item in enumerate(chunk):
        try:
            out.append(func(item))
        except Exception as exc:  # noqa: BLE001 -- reported to the parent with the input named
            return ("err", k, _portable(exc), traceback.format_exc())
    return ("ok", out)


def _fail(items, index, exc, tb_text=None):
    if tb_text and hasattr(exc, "add_note"):
        exc.add_note("worker traceback:\n" + tb_text.rstrip())
    raise BatchError(index, items[index], exc) from exc


def _check_args(processes, chunksize):
    if processes is not None and (not isinstance(processes, int) or isinstance(processes, bool)
                                  or processes < 1):
        raise ParameterError("processes", "None or an int >= 1", processes)
    if not isinstance(chunksize, int) or isinstance(chunksize, bool) or chunksize < 1:
        raise ParameterError("chunksize", "an int >= 1", chunksize)


def pmap(func, items, processes: int | None = None, scheduler=None, desc: str | None = None,
         progress: bool = True, chunksize: int = 1) -> list:
    """``[func(x) for x in items]`` in parallel, in input order.

    processes: local worker processes (None = CPU count; 1 = serial in this process);
    scheduler: a Dask scheduler address ('tcp://host:8786'), ``dask.distributed.Client``
    or cluster, which replaces the local pool; chunksize: items per task.
    ``func`` and the items must pickle (module-level functions) unless run serially.
    """
    if not callable(func):
        raise ParameterError("func", "a callable", func)
    _check_args(processes, chunksize)
    items = list(items)
    if not items:
        return []
    chunks = [items[i:i + chunksize] for i in range(0, len(items), chunksize)]
    bar = _progress(total=len(items), desc=desc, disable=None if progress else True)
    try:
        if scheduler is not None:
            return _dask_map(func, items, chunks, chunksize, scheduler, bar)
        workers = min(processes or os.cpu_count() or 1, len(chunks))
        if workers == 1:
            return _serial_map(func, items, bar)
        return _pool_map(func, items, chunks, chunksize, workers, bar)
    finally:
        bar.close()


def _serial_map(func, items, bar):
    out = []
    for i, item in enumerate(items):
        try:
            out.append(func(item))
        except Exception as exc:  # noqa: BLE001 -- re-raised as BatchError naming the input
            _fail(items, i, exc)
        bar.update(1)
    return out


def _mp_context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _pool_map(func, items, chunks, chunksize, workers, bar):
    try:
        pickle.dumps(func)
    except Exception as exc:  # noqa: BLE001
        raise ParameterError("func", "a picklable (module-level) function when processes > 1",
                             repr(func), str(exc)) from exc
    results: list = [None] * len(chunks)
    with ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context()) as pool:
        pending = {pool.submit(_run_chunk, func, c): j for j, c in enumerate(chunks)}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    j = pending.pop(fut)
                    try:
                        res = fut.result()
                    except Exception as exc:  # noqa: BLE001 -- pickling or a dead worker
                        _fail(items, j * chunksize, exc)
                    if res[0] == "err":
                        _fail(items, j * chunksize + res[1], res[2], res[3])
                    results[j] = res[1]
                    bar.update(len(res[1]))
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
    return [r for chunk in results for r in chunk]


def _dask_client(scheduler):
    try:
        from dask.distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise BeamkitError("the Dask path needs dask.distributed: pip install 'beamkit[dask]'") from exc
    if isinstance(scheduler, Client):
        return scheduler, False
    if isinstance(scheduler, str):
        try:
            return Client(scheduler, timeout=30, set_as_default=False), True
        except (OSError, TimeoutError, ValueError) as exc:
            raise ParameterError("scheduler", "a reachable Dask scheduler address", scheduler,
                                 str(exc)) from exc
    if hasattr(scheduler, "scheduler_address"):           # a LocalCluster or other cluster object
        return Client(scheduler, set_as_default=False), True
    raise ParameterError("scheduler", "a Dask scheduler address, Client or cluster", scheduler)


def _dask_map(func, items, chunks, chunksize, scheduler, bar):
    from dask.distributed import as_completed

    client, own = _dask_client(scheduler)
    try:
        futures = client.map(_run_chunk, [func] * len(chunks), chunks, pure=False)
        index = {f.key: j for j, f in enumerate(futures)}
        results: list = [None] * len(chunks)
        try:
            for fut in as_completed(futures, loop=client.loop):
                j = index[fut.key]
                if fut.status == "error":
                    _fail(items, j * chunksize, fut.exception())
                res = fut.result()
                if res[0] == "err":
                    _fail(items, j * chunksize + res[1], res[2], res[3])
                results[j] = res[1]
                bar.update(len(res[1]))
        except BaseException:
            client.cancel(futures)
            raise
        return [r for chunk in results for r in chunk]
    finally:
        if own:
            client.close()
