"""``.ptyd`` prepared-data files (HDF5, ptypy's layout) and ``PtydScan``, which reads them.

Layout (every node typed as in :mod:`.h5rw`)::

    chunks/<k>/data       frames (n, Ny, Nx), counts          array
    chunks/<k>/indices    global frame numbers (n,) int64      arraylist
    chunks/<k>/positions  (n, 2) float64 m, [row, col]         array
    chunks/<k>/weights    (n, Ny, Nx) float64 (0 = masked)     array
    meta/{shape, psize, distance, energy, center, num_frames, label, version}
    info/...              every parameter of the scan that wrote the file

Chunk names are decimal strings (HDF5 lists them as '0', '1', '10', ...): frames are
ordered by ``indices``.  With ``save='link'`` each chunk lives in ``<dfile>.part%03d`` and
the main file holds an external link to it.  Every write goes through
:func:`beamkit.core.files.atomic_path` (the main file is rebuilt for each appended chunk).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import h5py
import numpy as np

from ...core.files import atomic_path
from ...errors import FormatError
from ..params import defaults
from .h5rw import read_node, stamp, write_node, write_tree
from .ptyscan import PtyScan, register, with_defaults_doc

__all__ = ["PtydWriter", "PtydScan", "write_ptyd", "read_ptyd_meta"]

_META_KEYS = ("center", "distance", "energy", "label", "num_frames", "psize", "shape", "version")


def _file_meta(meta: dict, num_frames) -> dict:
    out = {}
    for k in _META_KEYS:
        v = meta.get(k)
        if k in ("center", "psize") and v is not None:
            v = np.asarray(v, float)
        elif k == "shape" and v is not None:
            v = np.asarray(v, np.int64)
        elif k == "num_frames":
            v = None if num_frames is None else np.int64(num_frames)
        elif k in ("distance", "energy", "version") and v is not None:
            v = np.float64(v)
        out[k] = v
    return out


def _info_tree(info: dict) -> dict:
    """Scan parameters as storable values (arrays kept, unsupported values dropped)."""
    out = {}
    for k, v in info.items():
        if isinstance(v, dict):
            out[k] = _info_tree(v)
        elif v is None or isinstance(v, (str, bool, int, float, complex, np.ndarray, np.generic)):
            out[k] = v
        elif isinstance(v, (list, tuple)):
            try:
                out[k] = np.asarray(v) if np.asarray(v).dtype.kind in "biufc" else str(v)
            except (ValueError, TypeError):
                out[k] = str(v)
        else:
            out[k] = str(v)
    return out


class PtydWriter:
    """Appends chunks (as returned by ``PtyScan.auto``) to a ``.ptyd`` file, atomically."""

    def __init__(self, path, meta: dict, info: dict, mode: str = "append"):
        if mode not in ("append", "link", "merge"):
            raise FormatError("unknown save mode", path=str(path), expected="'append' or 'link'", got=mode)
        self.path = Path(path)
        self.mode = "append" if mode == "merge" else mode
        self.meta = meta
        self.info = _info_tree(info)
        self.nchunks = 0
        self.nframes = 0
        self._created = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._rewrite(None)

    def _rewrite(self, chunk):
        with atomic_path(self.path) as tmp:
            if self._created:
                shutil.copyfile(self.path, tmp)
            with h5py.File(tmp, "a" if self._created else "w") as f:
                stamp(f, created=not self._created)
                if "chunks" not in f:
                    f.create_group("chunks").attrs["type"] = "dict"
                if chunk is not None:
                    k = str(self.nchunks)
                    if self.mode == "link":
                        part = Path(str(self.path) + ".part%03d" % self.nchunks)
                        _write_chunk_file(part, chunk)
                        f["chunks"][k] = h5py.ExternalLink(os.path.basename(part), "/")
                    else:
                        _write_chunk(f["chunks"], k, chunk)
                nf = self.meta.get("num_frames")
                write_node(f, "meta", _file_meta(self.meta, nf if nf is not None else self.nframes
                                                 + (len(chunk["indices"]) if chunk is not None else 0)))
                write_node(f, "info", self.info)
        self._created = True

    def append(self, chunk: dict) -> None:
        """Add one chunk (dict with indices, data, mask/weights, positions)."""
        self._rewrite(chunk)
        self.nchunks += 1
        self.nframes += len(chunk["indices"])

    def close(self) -> None:
        """Nothing is left open between appends; kept for symmetry."""


def _chunk_tree(chunk):
    w = chunk.get("weights")
    if w is None:
        w = np.asarray(chunk["mask"], np.float64)
    return {"data": np.asarray(chunk["data"]), "indices": [int(i) for i in chunk["indices"]],
            "positions": np.asarray(chunk["positions"], np.float64), "weights": np.asarray(w, np.float64)}


def _write_chunk(group, name, chunk):
    write_node(group, name, _chunk_tree(chunk))


def _write_chunk_file(path, chunk):
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            stamp(f)
            f.attrs["type"] = "dict"
            write_tree(f, _chunk_tree(chunk))


def write_ptyd(path, data, positions, meta: dict, weights=None, indices=None, info=None,
               chunk_size=None, mode: str = "append") -> Path:
    """Write frames (n, Ny, Nx), positions (n, 2) m and meta (shape, psize, distance, energy,
    center, ...) to a ``.ptyd`` file in chunks of ``chunk_size`` frames."""
    data = np.asarray(data)
    n = len(data)
    idx = np.arange(n) if indices is None else np.asarray(indices, np.int64)
    meta = dict(meta)
    meta.setdefault("num_frames", n)
    meta.setdefault("shape", data.shape[-2:])
    meta.setdefault("version", 0.1)
    meta.setdefault("label", None)
    w = PtydWriter(path, meta, dict(info or {"name": "PtyScan"}), mode=mode)
    step = n if not chunk_size else int(chunk_size)
    for s in range(0, n, max(step, 1)):
        sl = slice(s, s + step)
        ch = dict(indices=idx[sl], data=data[sl], positions=np.asarray(positions)[sl])
        if weights is not None:
            ch["weights"] = np.broadcast_to(np.asarray(weights, float), data.shape)[sl]
        else:
            ch["mask"] = np.ones(data[sl].shape, bool)
        w.append(ch)
    return Path(path)


def read_ptyd_meta(path) -> dict:
    """The ``meta`` group of a ``.ptyd`` file as a dict."""
    with _open(path) as f:
        if "meta" not in f:
            raise FormatError("no 'meta' group", path=str(path), expected="meta/{shape, psize, ...}", got=list(f))
        return read_node(f["meta"], str(path))


def _same(a, b) -> bool:
    try:
        return bool(np.all(np.asarray(a) == np.asarray(b))) and np.shape(a) == np.shape(b)
    except (ValueError, TypeError):
        return False


def _open(path):
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise FormatError(f"cannot open as HDF5 ({e})", path=str(path), expected="a .ptyd HDF5 file") from None


@register
class PtydScan(PtyScan):
    """Reads a ``.ptyd`` file (``source``; None or 'file' mean ``dfile``).  Geometry (shape, psize,
    distance, energy, center) and the frame count come from the file's meta unless the
    parameters give a value other than the schema default."""

    DEFAULT = defaults("scandata.PtydScan")

    def __init__(self, pars=None, **kwargs):
        given = dict(pars or {})
        given.update(kwargs)
        base = PtydScan.DEFAULT
        # a value equal to the schema default counts as "not given" (resolved trees carry defaults)
        user = {k: v for k, v in given.items() if k not in base or not _same(v, base[k])}
        super().__init__(pars, **kwargs)
        p = self.info
        src = p.get("source")
        if src in (None, "", "file"):      # ptypy: 'file' means "read dfile"
            src = p.get("dfile")
        if not src:
            from ...errors import ParameterError
            raise ParameterError("source", "the path of a .ptyd file (source or dfile)", None)
        self.source = Path(src)
        if p.get("save") and p.get("dfile") and Path(p["dfile"]).resolve() == self.source.resolve():
            p["save"] = None   # never overwrite the file being read
        self._scan_file()
        fm = self.file_meta
        for k in ("distance", "energy", "psize"):
            if k not in user and fm.get(k) is not None:
                p[k] = np.asarray(fm[k]).tolist() if k == "psize" else float(fm[k])
        if "shape" not in user and fm.get("shape") is not None:
            p["shape"] = tuple(int(s) for s in np.atleast_1d(fm["shape"]))
        if "center" not in user and fm.get("center") is not None:
            p["center"] = tuple(float(c) for c in np.atleast_1d(fm["center"]))
        if "num_frames" not in user:
            p["num_frames"] = len(self._index)
        self._check_pars()

    def _scan_file(self):
        path = self.source
        with _open(path) as f:
            for g in ("chunks", "meta"):
                if g not in f:
                    raise FormatError(f"no '{g}' group", path=str(path), expected="chunks/, meta/, info/",
                                      got=sorted(f.keys()))
            self.file_meta = read_node(f["meta"], str(path))
            rows = []
            for name in f["chunks"].keys():
                g = f["chunks"][name]
                for k in ("data", "indices", "positions"):
                    if k not in g:
                        raise FormatError(f"chunk {name} lacks '{k}'", path=str(path),
                                          expected="data, indices, positions[, weights]", got=sorted(g.keys()))
                idx = np.asarray(g["indices"][()], np.int64).ravel()
                if len(idx) != g["data"].shape[0] or g["positions"].shape != (len(idx), 2):
                    raise FormatError(f"chunk {name}: {len(idx)} indices, data {g['data'].shape}, "
                                      f"positions {g['positions'].shape}", path=str(path),
                                      expected="one frame and one (2,) position per index")
                rows.append((name, idx, np.asarray(g["positions"][()], float), "weights" in g))
        if not rows:
            raise FormatError("no chunks", path=str(path), expected="at least one chunk under chunks/")
        idx = np.concatenate([r[1] for r in rows])
        order = np.argsort(idx, kind="stable")
        self._index = idx[order]
        self._chunk_of = np.concatenate([np.full(len(r[1]), i) for i, r in enumerate(rows)])[order]
        self._row_of = np.concatenate([np.arange(len(r[1])) for r in rows])[order]
        self._positions = np.concatenate([r[2] for r in rows])[order]
        self._chunks = [(r[0], r[3]) for r in rows]

    def load_positions(self):
        return self._positions

    def load_batch(self, indices):
        indices = np.asarray(indices)
        with _open(self.source) as f:
            first = f["chunks"][self._chunks[self._chunk_of[indices[0]]][0]]["data"]
            data = np.empty((len(indices),) + first.shape[1:], first.dtype)
            weights = np.ones(data.shape, np.float64)
            for ci in np.unique(self._chunk_of[indices]):
                sel = np.nonzero(self._chunk_of[indices] == ci)[0]
                rows = self._row_of[indices[sel]]
                srt = np.argsort(rows)
                name, has_w = self._chunks[ci]
                g = f["chunks"][name]
                data[sel[srt]] = g["data"][rows[srt]]
                if has_w:
                    weights[sel[srt]] = g["weights"][rows[srt]]
        return data, self._positions[indices], weights


with_defaults_doc(PtydScan, "scandata.PtydScan")
