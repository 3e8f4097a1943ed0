"""``.ptyr`` reconstruction files: ptypy's typed HDF5 tree (every node carries a ``type`` attribute).

Writer: dict→'dict', Param→'param' (only what really is a Param, as ptypy: ``content``, ``pars``,
``runtime``; the storage dicts, ``_recs``/``_pool``, ``positions`` and the iteration records are
dicts), str→'string', ndarray→'array' (gzip), list whose elements are all of one Python type and
make a numeric array→'arraylist', any other list→'list' (members 00000, …; so ``[1, 2.5]`` reads
back as ``[1, 2.5]``), tuple→'arraytuple'/'tuple' by the same rule, scalars→'scalar',
None→'None' (float64 [0.]). Files are written atomically.
Reader: honours the types; 'pickle' and 'record_array' nodes are never unpickled.
"""
from __future__ import annotations

import time

import h5py
import numpy as np

from ..core.files import atomic_path
from ..errors import FormatError

__all__ = ["h5write", "h5read", "storage_record", "storage_from_record", "write_ptyr", "read_ptyr",
           "ptyr_storages", "fullflat_pool", "fullflat_content"]

_STR = h5py.string_dtype("utf-8")


class _ParamNode(dict):
    """A plain dict (its values are not converted) written as a 'param' group, as ptypy's Param."""


def _is_param(v):
    return isinstance(v, _ParamNode) or type(v).__name__ == "Param"


def _as_dicts(v):
    """Param subtrees -> plain dicts (what ptypy holds as dicts), recursively; lists kept as lists."""
    if isinstance(v, dict):
        return {k: _as_dicts(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_as_dicts(x) for x in v]
    return v


def _packed(seq):
    """``seq`` as one array where ptypy's ``_store_list`` packs it: every element of one Python type,
    convertible to a numeric (not text, not object) array; None otherwise (stored element-wise)."""
    if len({type(x) for x in seq}) != 1:
        return None
    try:
        arr = np.array(seq)
    except (ValueError, TypeError):
        return None
    return None if arr.dtype.kind in "OSU" else arr


def _write(g, key, v):
    key = str(key)
    esc = "/" in key
    if esc:
        key = key.replace("/", "_SLASH_")
    if isinstance(v, dict):
        sub = g.create_group(key)
        sub.attrs["type"] = "param" if _is_param(v) else "dict"
        for k, x in v.items():
            _write(sub, k, x)
        obj = sub
    elif isinstance(v, str):
        obj = g.create_dataset(key, data=v, dtype=_STR)
        obj.attrs["type"] = "string"
    elif isinstance(v, bytes):
        obj = g.create_dataset(key, data=v.decode("utf-8", "replace"), dtype=_STR)
        obj.attrs["type"] = "string"
    elif v is None:
        obj = g.create_dataset(key, data=np.zeros(1))
        obj.attrs["type"] = "None"
    elif isinstance(v, np.ndarray) and v.dtype.names is None and v.dtype != object:
        obj = g.create_dataset(key, data=v, compression="gzip" if v.ndim else None)
        obj.attrs["type"] = "array"
    elif isinstance(v, (list, tuple)):
        arr = _packed(v)
        if arr is not None:
            obj = g.create_dataset(key, data=arr, compression="gzip")
            obj.attrs["type"] = "arraytuple" if isinstance(v, tuple) else "arraylist"
        else:
            obj = g.create_group(key)
            obj.attrs["type"] = "tuple" if isinstance(v, tuple) else "list"
            for i, x in enumerate(v):
                _write(obj, f"{i:05d}", x)
    elif np.isscalar(v) or isinstance(v, (np.generic, bool)):
        obj = g.create_dataset(key, data=v)
        obj.attrs["type"] = "scalar"
    elif hasattr(v, "__array__") and not isinstance(v, np.ndarray):
        _write(g, key, np.asarray(v))
        return
    else:
        return  # unsupported objects are left out (as ptypy's save_run does)
    if esc:
        obj.attrs["escaped"] = "1"


def members(group, path, seen=None):
    """(name, node) of a group's members, refusing what a typed-HDF5 tree never holds: soft and
    external links (an external link reads another file) and a node met twice on the way down
    (a group linked into itself expands without end). ``seen``: ids of the groups above."""
    seen = set() if seen is None else seen
    if group.id in seen:
        raise FormatError(path=str(path), key=group.name, expected="a tree (no group inside itself)", got="a cycle")
    for k in group.keys():
        link = group.get(k, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise FormatError(path=str(path), key=f"{group.name.rstrip('/')}/{k}", expected="plain nodes",
                              got=type(link).__name__)
        yield k, group[k]


def _read(obj, path, seen=frozenset()):
    t = obj.attrs.get("type")
    if isinstance(t, bytes):
        t = t.decode()
    if isinstance(obj, h5py.Group):
        below = set(seen) | {obj.id}
        if t in ("list", "tuple"):
            items = [_read(sub, path, below) for _, sub in sorted(members(obj, path, set(seen)), key=lambda kv: kv[0])]
            return tuple(items) if t == "tuple" else items
        out = {}
        for k, sub in members(obj, path, set(seen)):
            name = k.replace("_SLASH_", "/") if sub.attrs.get("escaped") in ("1", b"1") else k
            out[name] = _read(sub, path, below)
        if t == "param":
            try:
                from .utils import Param
                return Param(out)
            except Exception:  # pragma: no cover
                return out
        return out
    if t in ("pickle", "record_array"):
        raise FormatError(path=str(path), key=obj.name, expected="no pickled nodes (refused to unpickle)", got=t)
    if t == "None":
        return None
    v = obj[()]
    if t == "string":
        return v.decode("utf-8") if isinstance(v, bytes) else str(v)
    if t == "scalar":
        if isinstance(v, np.void):
            return v
        return v.item() if hasattr(v, "item") else v
    if t == "arraylist":
        return list(v)
    if t == "arraytuple":
        return tuple(v.tolist())
    return v


def h5write(path, tree: dict) -> None:
    """Write a Python tree in ptypy's typed HDF5 layout, atomically."""
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["h5rw_version"] = "0.1"
            now = time.asctime()
            f.attrs["ctime"] = now
            f.attrs["mtime"] = now
            for k, v in tree.items():
                _write(f, k, v)


def h5read(path, *keys):
    """Read the whole tree (or the node at dotted ``keys[0]``)."""
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise FormatError(path=str(path), expected="an HDF5 file", got=str(exc)) from None
    with f:
        if keys:
            key = "/".join(str(keys[0]).split("."))
            if key not in f:
                raise FormatError(path=str(path), key=key, expected="that key in the file", got="no such node")
            return _read(f[key], path)
        return {k: _read(node, path) for k, node in members(f, path)}


def storage_record(s, dump: bool = False, numID: int = 1) -> dict:
    """Dict of a Storage with every field ptypy's loader uses."""
    d = dict(data=np.ascontiguousarray(s.data), shape=tuple(int(x) for x in s.data.shape),
             _center=np.asarray(s.center, float), _origin=np.asarray(s.origin, float),
             _psize=np.asarray(s.psize, float), _energy=float(s.energy or 0.0),
             layermap=[int(x) for x in range(s.data.shape[0])], nlayers=int(s.data.shape[0]), ID=s.ID,
             numID=int(numID), padding=int(getattr(s, "padding", 0)), padonly=False,
             fill_value=(np.complex64(s.fill_value) if np.iscomplexobj(s.data) and np.iscomplexobj(s.fill_value)
                         else float(np.real(s.fill_value))),
             model_initialized=True, DataTooSmall=False, _is_scattered=False,
             _record=np.array((s.ID.encode()[:16],), dtype=[("ID", "S16")])[()], _recs={}, _pool={})
    if dump:
        d["grids"] = tuple(np.stack(s.grids()))
    return d


def storage_from_record(rec: dict):
    """Storage from a dict read from a .ptyr file."""
    from .core.storage import Storage
    try:
        data = np.asarray(rec["data"])
        psize = np.asarray(rec.get("_psize", 1.0), float)
        center = rec.get("_center")
        if center is None and rec.get("_origin") is not None:
            center = -np.asarray(rec["_origin"], float) / psize
    except (KeyError, TypeError) as exc:
        raise FormatError(expected="storage with data, _psize, _center", got=str(exc)) from None
    s = Storage(str(rec.get("ID", "S00")), data, psize=psize, center=center, energy=rec.get("_energy"),
                fill_value=rec.get("fill_value", 0.0))
    s.padding = int(rec.get("padding", 0) or 0)
    return s


def write_ptyr(path, obj_storages, probe_storages, pars, runtime, kind: str = "minimal", positions=None) -> None:
    """Write a .ptyr: header + content(obj, probe, pars, runtime[, positions]); the node types as
    ptypy's (content, pars and runtime are Params, everything else under them dicts)."""
    dump = kind in ("dump", "dls")
    content = _ParamNode(
        obj={s.ID: storage_record(s, dump, i + 1) for i, s in enumerate(obj_storages)},
        probe={s.ID: storage_record(s, dump, i + 1) for i, s in enumerate(probe_storages)},
        pars=pars,
        runtime=_runtime_node(runtime),
    )
    if positions:
        content["positions"] = {k: np.asarray(v, float) for k, v in positions.items()}
    _write_file(path, kind, content)


def _runtime_node(runtime):
    return _ParamNode({k: _as_dicts(v) for k, v in dict(runtime).items()})


def _write_file(path, kind, content):
    h5write(path, {"header": {"kind": kind, "description": "Ptypy .h5 compatible storage format"},
                   "content": content})


def _label(prefix, obj) -> str:
    return f"{prefix}{id(obj):#x}"


def fullflat_pool(ptycho, pars, runtime) -> dict:
    """ptypy's 'fullflat' content (``save_load.unlink``): the Ptycho's object graph as one flat pool
    of records keyed by labels (a class letter and the object's id), with ``root`` naming the
    Ptycho's record; references between records are labels. As ptypy, the diffraction data and
    masks are not kept (their storages keep their geometry and a (layers, 1, 1) array,
    ``model_initialized`` False); beamkit has no exit-wave container."""
    pool: dict = {}
    root_label = _label("P", ptycho)
    root = {"p": pars, "runtime": _runtime_node(runtime), "data_type": ptycho.precision,
            "level": int(ptycho.level), "view_coords": {b.obj.ID: np.asarray(b.views.coords, float)
                                                        for b in getattr(ptycho, "blocks", [])}}
    for name in ("probe", "obj", "diff", "mask"):
        cont = getattr(ptycho, name)
        cl = _label("C", cont)
        refs = {}
        for i, s in enumerate(cont.S.values()):
            rec = storage_record(s, numID=i + 1)
            if name in ("diff", "mask"):
                rec["data"] = np.zeros((s.shape[0], 1, 1), s.dtype)
                rec["shape"] = (s.shape[0], 1, 1)
                rec["model_initialized"] = False
            rec["owner"] = cl
            sl = _label("S", s)
            pool[sl] = rec
            refs[s.ID] = sl
        pool[cl] = {"ID": cont.ID, "data_type": cont.data_type, "storages": refs, "owner": root_label}
        root[name] = cl
    pool[root_label] = root
    pool["root"] = root_label
    return pool


def fullflat_content(pool) -> dict:
    """The parts of a 'fullflat' pool that ``Ptycho.load_run`` uses, in the layout of a minimal
    file's content: obj/probe/diff/mask (ID -> storage record), pars, runtime."""
    try:
        root = pool[pool["root"]]
        out = {"pars": root.get("p") or {}, "runtime": root.get("runtime") or {}}
        for name in ("probe", "obj", "diff", "mask"):
            cont = pool[root[name]] if root.get(name) else {"storages": {}}
            out[name] = {ID: pool[lab] for ID, lab in (cont.get("storages") or {}).items()}
    except (KeyError, TypeError) as exc:
        raise FormatError(expected="a 'fullflat' pool with 'root' and labelled records", got=repr(exc)) from None
    return out


def read_ptyr(path) -> dict:
    """Read a .ptyr: dict(header, content) with storages left as dicts (see storage_from_record)."""
    tree = h5read(path)
    if "content" not in tree or "header" not in tree:
        raise FormatError(path=str(path), expected="groups 'header' and 'content' (.ptyr)", got=sorted(tree))
    return tree


def ptyr_storages(path, what="probe") -> dict:
    """The storage records under ``content/<what>`` of a ``.ptyr`` file (ID -> dict with 'data')."""
    try:
        cont = h5read(path, f"content.{what}")
    except KeyError:
        raise FormatError(path=str(path), expected=f"a .ptyr with content/{what} ('probe' or 'obj')",
                          got="no such group") from None
    if not isinstance(cont, dict) or not cont:
        raise FormatError(path=str(path), expected=f"storages under content/{what}", got=type(cont).__name__)
    return cont
