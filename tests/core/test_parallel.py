"""beamkit.core.parallel.pmap: order, failures naming the input, serial, process and Dask paths."""
from __future__ import annotations

import os
import time

import numpy as np
import pytest

from beamkit.core.parallel import pmap
from beamkit.errors import BatchError, ParameterError


def square_slowly(x):
    time.sleep(0.02 * ((7 - x) % 4))      # finish out of order
    return x * x


def fails_on_13(x):
    if x == 13:
        raise ValueError(f"cannot integrate frame {x}")
    return x


def pid_of(_x):
    return os.getpid()


def frame_sum(a):
    return float(np.asarray(a).sum())


def test_serial_path_runs_in_process_and_keeps_order():
    seen = []

    def record(x):                          # a closure: only works serially
        seen.append(x)
        return -x

    assert pmap(record, range(5), processes=1, progress=False) == [0, -1, -2, -3, -4]
    assert seen == [0, 1, 2, 3, 4]
    assert pmap(pid_of, [1, 2], processes=1) == [os.getpid()] * 2
    assert pmap(record, [], processes=1) == []


def test_serial_failure_names_input():
    with pytest.raises(BatchError, match=r"input #13 \(13\) failed: ValueError") as ei:
        pmap(fails_on_13, range(20), processes=1)
    assert ei.value.index == 13 and ei.value.item == 13
    assert isinstance(ei.value.__cause__, ValueError)


def test_process_pool_order_and_workers():
    items = list(range(12))
    assert pmap(square_slowly, items, processes=2, desc="squares") == [x * x for x in items]
    assert pmap(square_slowly, items, processes=2, chunksize=5) == [x * x for x in items]
    pids = set(pmap(pid_of, range(8), processes=2))
    assert os.getpid() not in pids


def test_process_pool_failure_names_input():
    with pytest.raises(BatchError, match=r"input #13 \(13\)") as ei:
        pmap(fails_on_13, range(16), processes=2, chunksize=3)
    assert ei.value.index == 13
    cause = ei.value.__cause__
    assert isinstance(cause, ValueError) and "frame 13" in str(cause)
    assert any("worker traceback" in n for n in getattr(cause, "__notes__", []))


def test_bad_arguments():
    with pytest.raises(ParameterError):
        pmap(square_slowly, [1], processes=0)
    with pytest.raises(ParameterError):
        pmap(square_slowly, [1], chunksize=0)
    with pytest.raises(ParameterError):
        pmap(lambda x: x, [1, 2, 3], processes=2)       # lambdas do not pickle
    with pytest.raises(ParameterError):
        pmap(square_slowly, [1], scheduler=3.5)
    with pytest.raises(ParameterError):
        pmap("not callable", [1])


def test_dask_local_cluster():
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            frames = [np.full((4, 4), i, "f4") for i in range(6)]
            assert pmap(frame_sum, frames, scheduler=client, desc="dask") == [16.0 * i for i in range(6)]
            assert pmap(square_slowly, range(9), scheduler=client, chunksize=4) == [x * x for x in range(9)]
            with pytest.raises(BatchError, match=r"input #13 \(13\)") as ei:
                pmap(fails_on_13, range(15), scheduler=client)
            assert isinstance(ei.value.__cause__, ValueError)
        # an address string makes (and closes) its own client
        assert pmap(square_slowly, [3, 1, 2], scheduler=cluster.scheduler_address) == [9, 1, 4]
