"""DIALS experiment-list JSON (``.expt``): read into :mod:`.models`, write back unchanged.

Top level ``{"__id__": "ExperimentList", "experiment": [...], "imageset": [...],
"beam": [...], "detector": [...], "goniometer": [...], "scan": [...],
"crystal": [...], "profile": [...], "scaling_model": [...]}``; experiments
index the model lists, so models are shared (notes/dials.md §5).
"""
from __future__ import annotations

import json
from pathlib import Path

from ..core.files import atomic_write
from ..errors import FormatError, ParameterError
from .models import Beam, Crystal, Detector, Experiment, ExperimentList, Goniometer, ImageSet, Scan

__all__ = ["ExperimentListFactory", "read_expt", "write_expt", "experiments_to_dict", "experiments_from_dict"]

_LISTS = ("imageset", "beam", "detector", "goniometer", "scan", "crystal", "profile", "scaling_model")
_CLASSES = {"beam": Beam, "detector": Detector, "goniometer": Goniometer, "scan": Scan, "crystal": Crystal}


def read_expt(path) -> ExperimentList:
    """Read an .expt file; errors name the file and the JSON position or key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError("not UTF-8 text", path=path, offset=exc.start, expected="JSON") from None
    try:
        d = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno, expected="JSON") from None
    try:
        el = experiments_from_dict(d, directory=path.parent)
    except ParameterError as exc:
        raise FormatError(str(exc), path=path) from None
    el.trailing_newline = text.endswith("\n")
    return el


def experiments_from_dict(d: dict, directory=None) -> ExperimentList:
    """Build an ExperimentList from the parsed JSON (models shared by index)."""
    if not isinstance(d, dict) or d.get("__id__") != "ExperimentList":
        raise ParameterError("__id__", '"ExperimentList" at the top level',
                             d.get("__id__") if isinstance(d, dict) else type(d).__name__)
    models = {}
    for key in _LISTS:
        lst = d.get(key, [])
        if not isinstance(lst, list):
            raise ParameterError(key, "a list", type(lst).__name__)
        if key == "imageset":
            models[key] = [ImageSet(m, directory) for m in lst]
        else:
            cls = _CLASSES.get(key)
            models[key] = [cls(m) if cls else m for m in lst]
    el = ExperimentList()
    for j, e in enumerate(d.get("experiment", [])):
        if not isinstance(e, dict):
            raise ParameterError(f"experiment[{j}]", "an object", type(e).__name__)
        kw = {}
        for key in _LISTS:
            if key in e:
                i = e[key]
                if not isinstance(i, int) or not 0 <= i < len(models[key]):
                    raise ParameterError(f"experiment[{j}].{key}", f"an index below {len(models[key])}", i)
                kw[key] = models[key][i]
        extra = {k: v for k, v in e.items() if k not in _LISTS and k not in ("__id__", "identifier")}
        el.append(Experiment(identifier=e.get("identifier", ""), extra=extra, **kw))
    el.models = models
    el.key_order = list(d.keys())
    el.experiment_key_order = [list(e.keys()) for e in d.get("experiment", [])]
    return el


def experiments_to_dict(el: ExperimentList) -> dict:
    """The JSON dict of an ExperimentList; shared models are written once.

    A list that was read from a file keeps its model lists (order and unused
    models); models added later are appended in first-use order.
    """
    base = getattr(el, "models", None) or {}
    objs = {k: list(base.get(k, [])) for k in _LISTS}
    index = {k: {id(m): i for i, m in enumerate(objs[k])} for k in _LISTS}
    exps = []
    orders = getattr(el, "experiment_key_order", [])
    for j, e in enumerate(el):
        out = {"__id__": "Experiment", "identifier": e.identifier}
        for k in _LISTS:
            m = getattr(e, k, None)
            if m is None:
                continue
            if id(m) not in index[k]:
                index[k][id(m)] = len(objs[k])
                objs[k].append(m)
            out[k] = index[k][id(m)]
        out.update(e.extra)
        if j < len(orders) and set(orders[j]) == set(out):
            out = {k: out[k] for k in orders[j]}
        exps.append(out)
    d = {"__id__": "ExperimentList", "experiment": exps}
    d.update({k: [m.to_dict() if hasattr(m, "to_dict") else m for m in objs[k]] for k in _LISTS})
    order = getattr(el, "key_order", None)
    if order and set(order) >= set(d):
        d = {k: d[k] for k in order if k in d}
    return d


def write_expt(path, el: ExperimentList) -> None:
    """Write an .expt file atomically (indent 2, like dxtbx)."""
    text = json.dumps(experiments_to_dict(el), indent=2)
    if getattr(el, "trailing_newline", False):
        text += "\n"
    with atomic_write(path, "w") as fh:
        fh.write(text)


class ExperimentListFactory:
    """dxtbx' entry point: ``ExperimentListFactory.from_json_file(path)``."""

    @staticmethod
    def from_json_file(path, check_format=False) -> ExperimentList:
        return read_expt(path)

    from_serialized_format = from_json_file
