"""Walking GSAS-II's nested dicts by key lists (getHistEntryList/…Value/set…Value)."""
from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["entry_list", "get_entry", "set_entry"]


def entry_list(tree, keyname: str = "", prefix=()) -> list:
    """[(keylist, type, value)] for every non-dict entry under ``tree`` (dicts are entered, lists are
    values, as GSAS-II's dictDive); ``keyname`` keeps entries with a key containing it (any case)."""
    out = []
    needle = str(keyname).lower()

    def walk(node, path):
        for k, v in node.items():
            p = path + [k]
            if isinstance(v, dict):
                walk(v, p)
            elif not needle or any(needle in str(q).lower() for q in p[len(prefix):]):
                out.append((p, type(v), v))

    if isinstance(tree, dict):
        walk(tree, list(prefix))
    return out


def _step(node, key, keylist, root):
    try:
        if isinstance(node, (list, tuple, np.ndarray)):
            return node[int(key)]
        return node[key]
    except (KeyError, IndexError, TypeError, ValueError):
        raise ParameterError(f"{root}{keylist}", "an existing key path", key) from None


def get_entry(tree, keylist, root: str = "") -> object:
    """Value at ``keylist`` (list of dict keys / list indices) inside ``tree``."""
    node = tree
    for k in keylist:
        node = _step(node, k, keylist, root)
    return node


def set_entry(tree, keylist, value, root: str = "") -> None:
    """Set the value at ``keylist``; the last key must already exist (GSAS-II semantics)."""
    if not keylist:
        raise ParameterError(root or "keylist", "a non-empty key list", keylist)
    node = get_entry(tree, keylist[:-1], root)
    last = keylist[-1]
    _step(node, last, keylist, root)  # must exist
    if isinstance(node, (list, np.ndarray)):
        node[int(last)] = value
    else:
        node[last] = value
