"""``u.parallel``: ptypy's MPI helpers as a one-process stand-in (rank 0 of 1).

beamkit runs one process and parallelises inside it, so every collective returns its input
(reductions over the local data only), as ptypy's helpers do when MPI is off.
"""
from __future__ import annotations

import numpy as np

__all__ = ["MPIenabled", "comm", "MPI", "master", "barrier", "LoadManager", "loadmanager", "allreduce", "send",
           "receive", "bcast", "bcast_dict", "gather_dict", "gather_list", "MPIrand_normal", "MPIrand_uniform",
           "MPInoise2d"]

MPI = None
comm = None
size = 1
rank = 0
rank_local = 0
hosts_ranks = {"localhost": [0]}
MPIenabled = False
master = True


def useMPI(do=None):
    """Whether MPI is used (always False here)."""
    return False


class LoadManager:
    """Assigns ids to processes; with one process all go to rank 0."""

    def __init__(self):
        self.load = np.zeros((size,), dtype=int)
        self.rank_of = {}

    def assign(self, idlist=None):
        """[[positions in idlist]] for rank 0 (``idlist`` None: one more unit of load, [[0]])."""
        if idlist is None:
            self.load[0] += 1
            return [[0]]
        self.load[0] += len(idlist)
        self.rank_of.update({k: 0 for k in idlist})
        return [list(range(len(idlist)))]

    def reset(self):
        """Back to no load."""
        self.__init__()


loadmanager = LoadManager()


def allreduce(a, op=None):
    """``a`` unchanged (the sum over one process)."""
    return a


def allreduceC(c):
    """No-op for a container's storages (one process)."""
    return None


def _op(a, npop, empty, axis=None):
    if axis is None:
        vals = [npop(ai) for ai in a if ai is not None]
        return npop(vals) if vals else empty
    if axis == 0:
        return npop([ai for ai in a if ai is not None], axis=0)
    return [npop(ai, axis=axis - 1) if ai is not None else None for ai in a]


def MPIsum(a, axis=None):
    """Sum over a list of arrays (axis None: total; 0: across the list; k: axis k-1 of each)."""
    return _op(a, np.sum, 0.0, axis)


def MPImin(a, axis=None):
    """Minimum over a list of arrays (see :func:`MPIsum` for ``axis``)."""
    return _op(a, np.min, np.inf, axis)


def MPImax(a, axis=None):
    """Maximum over a list of arrays (see :func:`MPIsum` for ``axis``)."""
    return _op(a, np.max, -np.inf, axis)


def MPIprod(a, axis=None):
    """Product over a list of arrays (see :func:`MPIsum` for ``axis``)."""
    return _op(a, np.prod, 1.0, axis)


def barrier():
    """No-op."""
    return None


def send(data, dest=0, tag=0):
    """Not available with one process."""
    raise RuntimeError("u.parallel.send needs several MPI processes; beamkit runs one")


def receive(source=None, tag=0):
    """Not available with one process."""
    raise RuntimeError("u.parallel.receive needs several MPI processes; beamkit runs one")


def bcast(data, source=0):
    """``data`` unchanged."""
    return data


def bcast_dict(dct, keys="all", source=0):
    """A shallow copy of ``dct`` (``keys`` is ignored with one process, as ptypy)."""
    return dict(dct)


def gather_dict(dct, target=0):
    """A shallow copy of ``dct``."""
    return dict(dct)


def allgather_dict(dct):
    """No-op (``dct`` already holds everything)."""
    return None


def gather_list(lst, length, indices):
    """List of ``length`` with ``lst[k]`` at ``indices[k]`` (indices beyond ``length`` dropped),
    None elsewhere."""
    new = [None] * length
    for i, item in zip(indices, lst):
        if i < length:
            new[i] = item
    return new


def MPIrand_normal(loc=0.0, scale=1.0, size=(1)):
    """``np.random.normal(loc, scale, size)`` as an array (same on every process)."""
    return np.array(np.random.normal(loc=loc, scale=scale, size=size))


def MPIrand_uniform(low=0.0, high=1.0, size=(1)):
    """``np.random.uniform(low, high, size)`` as an array (same on every process)."""
    return np.array(np.random.uniform(low=low, high=high, size=size))


def MPInoise2d(sh, rms=1.0, mfs=2, rms_mod=None, mfs_mod=2):
    """Complex noise of shape ``sh``: exp(1j*phase) * amplitude, phase ~ N(0, rms) (rad) and
    amplitude ~ N(1, rms_mod), each Gaussian-filtered over the last two axes with sigma
    mfs/2.35 (px); ``rms``/``rms_mod`` None or 0 leave that part out. Uses ``np.random``."""
    from .utils_array import gf_2d
    sh = tuple(sh)
    A = np.ones(sh, dtype=complex)
    if rms is not None and float(rms) != 0.0:
        A *= np.exp(1j * gf_2d(MPIrand_normal(0.0, rms, sh), mfs / 2.35))
    if rms_mod is not None and float(rms_mod) != 0.0:
        A *= gf_2d(MPIrand_normal(1.0, rms_mod, sh), mfs_mod / 2.35)
    return A
