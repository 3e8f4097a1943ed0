"""The powder project file: HDF5, written atomically, never pickled.

Layout: root attributes ``format = 'beamkit-powder-project'`` and ``version``;
dataset ``tree`` holds the project dict as JSON text in which every numpy
array is a reference ``{"__nd__": i}`` to dataset ``arrays/i``; tuples, numpy
scalars and non-string dict keys are tagged so that a save/open round trip
gives back equal values and types.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from ..core.files import atomic_path, sniff_format
from ..core.log import get_logger
from ..errors import FormatError, ParameterError

__all__ = ["save_project", "load_project", "encode_tree", "decode_tree", "FORMAT", "VERSION"]

log = get_logger("beamkit.powder")
FORMAT = "beamkit-powder-project"
VERSION = 1


def encode_tree(obj, arrays: list):
    """JSON-able form of ``obj``; arrays are appended to ``arrays`` and referenced by index."""
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            return {"__objarr__": [encode_tree(v, arrays) for v in obj.tolist()]}
        if np.ma.isMaskedArray(obj):
            obj = np.ma.getdata(obj)
        arrays.append(np.ascontiguousarray(obj))
        return {"__nd__": len(arrays) - 1}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {("\\" + k if k.startswith("__") else k): encode_tree(v, arrays) for k, v in obj.items()}
        return {"__items__": [[encode_tree(k, arrays), encode_tree(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [encode_tree(v, arrays) for v in obj]}
    if isinstance(obj, list):
        return [encode_tree(v, arrays) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (np.integer, np.floating)):
        return {"__npscalar__": [obj.dtype.str, obj.item()]}
    if isinstance(obj, (complex, np.complexfloating)):
        return {"__complex__": [float(obj.real), float(obj.imag)]}
    if isinstance(obj, (int, float, str)) or obj is None:
        return obj
    if isinstance(obj, bytes):
        return {"__bytes__": obj.decode("latin-1")}
    from .io_gpx import G2VarObj
    if isinstance(obj, G2VarObj):
        return {"__g2var__": encode_tree(dict(obj.__dict__), arrays)}
    raise TypeError(f"cannot store {type(obj).__name__} in a project file")


def decode_tree(obj, arrays):
    """Inverse of :func:`encode_tree`."""
    if isinstance(obj, list):
        return [decode_tree(v, arrays) for v in obj]
    if isinstance(obj, dict):
        if len(obj) == 1:
            (k, v), = obj.items()
            if k == "__nd__":
                return arrays(v)
            if k == "__tuple__":
                return tuple(decode_tree(t, arrays) for t in v)
            if k == "__items__":
                return {decode_tree(a, arrays): decode_tree(b, arrays) for a, b in v}
            if k == "__npscalar__":
                return np.dtype(v[0]).type(v[1])
            if k == "__complex__":
                return complex(*v)
            if k == "__bytes__":
                return v.encode("latin-1")
            if k == "__g2var__":
                from .io_gpx import G2VarObj
                o = G2VarObj()
                o.__setstate__(decode_tree(v, arrays))
                return o
            if k == "__objarr__":
                arr = np.empty(len(v), dtype=object)
                arr[:] = [decode_tree(t, arrays) for t in v]
                return arr
        return {(k[1:] if k.startswith("\\__") else k): decode_tree(v, arrays) for k, v in obj.items()}
    return obj


def _guard_target(p: Path) -> None:
    """Refuse read-only targets; keep a GSAS-II .gpx that would be replaced as ``<name>.bakN.gpx``."""
    folder = p.parent if str(p.parent) else Path(".")
    if folder.exists() and not folder.stat().st_mode & 0o222:
        raise ParameterError("filename", "a project file in a writable folder (save under another name)", str(p))
    if not p.exists():
        return
    if not p.stat().st_mode & 0o222:
        raise ParameterError("filename", "a writable project file (this one is read-only: save under "
                             "another name)", str(p))
    if sniff_format(p) != "hdf5":
        i = 0
        while (bak := p.with_name(f"{p.stem}.bak{i}{p.suffix}")).exists():
            i += 1
        shutil.copy2(p, bak)
        log.warning("%s is not a beamkit project file (a GSAS-II .gpx?): kept as %s", p, bak)


def save_project(data: dict, filename) -> str:
    """Write the project dict to ``filename`` (HDF5) atomically; returns the path.

    A read-only file (or folder) is refused; a GSAS-II .gpx about to be replaced is first
    copied to ``<name>.bak0.gpx`` (the next free number).
    """
    import h5py
    _guard_target(Path(filename))
    arrays: list = []
    tree = encode_tree(data, arrays)
    text = json.dumps(tree, allow_nan=True)
    with atomic_path(filename, suffix=".h5tmp") as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["version"] = VERSION
            f.create_dataset("tree", data=np.frombuffer(text.encode("utf-8"), dtype=np.uint8),
                             compression="gzip", compression_opts=4)
            g = f.create_group("arrays")
            for i, a in enumerate(arrays):
                if a.dtype.kind == "U":
                    a = np.char.encode(a, "utf-8")
                kw = {"compression": "gzip", "compression_opts": 4} if a.size > 256 else {}
                ds = g.create_dataset(str(i), data=a, **kw)
                if arrays[i].dtype.kind == "U":
                    ds.attrs["unicode"] = True
    return str(filename)


def load_project(filename) -> dict:
    """Read a project file -> project dict: our HDF5 file (:func:`save_project`) or a GSAS-II ``.gpx``.

    A GSAS-II ``.gpx`` (a stream of pickles) is read by :func:`beamkit.powder.io_gpx.read_gpx`
    through a restricted unpickler: only numpy array/scalar/dtype reconstruction, masked
    arrays, plain containers and GSAS-II's ``G2VarObj`` are admitted; any other global (a
    function such as ``os.system`` or ``builtins.eval``, or another class) raises a FormatError
    naming it and the byte offset, before anything is called.  Saving always writes HDF5.
    """
    import h5py
    p = Path(filename)
    if not p.is_file():
        raise FormatError("file not found", path=p, expected="a beamkit powder project (HDF5)")
    kind = sniff_format(p)
    if kind != "hdf5":
        head = p.read_bytes()[:2]
        if kind == "pickle" or head[:1] in (b"]", b"(", b"}") or p.suffix.lower() == ".gpx":
            from .io_gpx import read_gpx
            return read_gpx(p)
        raise FormatError("not a project file", path=p, offset=0, expected="an HDF5 beamkit powder project",
                          got=kind)
    with h5py.File(p, "r") as f:
        if f.attrs.get("format") != FORMAT:
            raise FormatError("HDF5 file is not a beamkit powder project", path=p,
                              expected=f"attribute format={FORMAT!r}", got=f.attrs.get("format"))
        if int(f.attrs.get("version", 0)) > VERSION:
            raise FormatError("project written by a newer beamkit", path=p, expected=f"version <= {VERSION}",
                              got=int(f.attrs["version"]))
        try:
            text = f["tree"][()].tobytes().decode("utf-8")
            tree = json.loads(text)
        except (KeyError, ValueError) as e:
            raise FormatError(f"damaged project tree ({e})", path=p, expected="a JSON tree dataset") from None
        g = f["arrays"]

        def get(i):
            try:
                ds = g[str(i)]
            except KeyError:
                raise FormatError(f"missing array {i}", path=p, expected="arrays/<i> datasets") from None
            a = ds[()]
            if ds.attrs.get("unicode"):
                a = np.char.decode(a, "utf-8")
            return a

        return decode_tree(tree, get)
