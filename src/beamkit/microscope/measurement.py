"""SpecPy's ``Measurement`` and ``Configuration`` on the simulated microscope.

A measurement holds configurations; each configuration has its own parameter
tree (``ValueTree.Measurement``) and its own stacks.  ``parameters`` /
``set_parameters`` on a measurement act on its active configuration.
"""
from __future__ import annotations

import copy
import numbers
import threading

import numpy as np

from .ptree import ParameterTree, default_measurement_tree
from .stack import Stack

__all__ = ["Measurement", "Configuration"]


def _pick(items, key, what):
    """Select from a list of objects with .name() by index or name; RuntimeError otherwise."""
    if isinstance(key, numbers.Integral) and not isinstance(key, bool):
        if 0 <= key < len(items):
            return items[key]
        raise RuntimeError(f"Invalid {what} index '{key}'.")
    for it in items:
        if it.name() == key:
            return it
    raise RuntimeError(f"No {what} '{key}'")


class Configuration:
    """One configuration of a measurement: a name, a parameter tree and stacks."""

    def __init__(self, measurement, name: str, params: dict | None = None, ident: int = 0):
        self._m = measurement
        self._name = name
        self._id = ident
        self._params = ParameterTree(params if params is not None else default_measurement_tree(),
                                     couple_scan=True)
        self._stacks: list[Stack] = []

    def id(self) -> int:
        return self._id

    def name(self) -> str:
        return self._name

    def set_name(self, name: str) -> None:
        name = str(name)
        if any(c is not self and c.name() == name for c in self._m._configs):
            raise RuntimeError(f"A configuration named '{name}' exists already.")
        self._name = name

    def parameters(self, path: str = ""):
        """Value at ``path`` (``device/.../name``); '' gives the whole tree as a dict."""
        return self._params.get(path)

    def set_parameters(self, path: str, value) -> None:
        """Set the value at ``path``; '' with a dict sets many values at once."""
        self._params.set(path, value)   # a running scan read its parameters at start: next run

    def number_of_stacks(self) -> int:
        return len(self._stacks)

    def stack_names(self) -> list:
        return [s.name() for s in self._stacks]

    def stack(self, key) -> Stack:
        return _pick(self._stacks, key, "stack")

    def _add_stack(self, stack: Stack, name: str) -> Stack:
        stack._owner = self._m
        self._stacks.append(stack)
        stack.set_name(name)
        return stack

    def __repr__(self):
        return f"<Configuration {self._name!r} of {self._m.name()!r}>"


class Measurement:
    """A measurement: configurations (one active), their stacks, and file saving."""

    def __init__(self, imspector, name: str, path: str = ""):
        self._im = imspector
        self._name = name
        self._path = path
        self._configs: list[Configuration] = []
        self._active = None
        self._next_conf = 1
        self._lock = threading.RLock()
        self._updates = 0
        self._shown = True
        self._add_config(default_measurement_tree())

    # --- identity ---------------------------------------------------------------
    def name(self) -> str:
        return self._name

    def path(self) -> str:
        return self._path

    def _running_config(self):
        run = self._im._acq
        return run.config if run is not None and run.measurement is self and run.alive() else None

    def _all_stacks(self):
        return [s for c in self._configs for s in c._stacks]

    # --- configurations ---------------------------------------------------------
    def _add_config(self, params: dict, name: str | None = None) -> Configuration:
        with self._lock:
            if name is None:
                name = f"Configuration {self._next_conf}"
            c = Configuration(self, name, params, ident=self._next_conf)
            self._next_conf += 1
            self._configs.append(c)
            self._active = c
            return c

    def number_of_configurations(self) -> int:
        return len(self._configs)

    def configuration_names(self) -> list:
        return [c.name() for c in self._configs]

    def active_configuration(self) -> Configuration:
        if self._active is None:
            raise RuntimeError("The measurement has no active configuration.")
        return self._active

    def configuration(self, key) -> Configuration:
        return _pick(self._configs, key, "configuration")

    def _own(self, conf) -> Configuration:
        if not isinstance(conf, Configuration) or conf not in self._configs:
            raise RuntimeError("The configuration does not belong to this measurement.")
        return conf

    def activate(self, conf) -> None:
        """Make ``conf`` the active configuration."""
        self._active = self._own(conf)

    def clone(self, conf) -> Configuration:
        """Copy ``conf`` (parameters only), activate the copy and return it."""
        conf = self._own(conf)
        return self._add_config(copy.deepcopy(conf._params.tree()))

    def remove(self, conf) -> None:
        """Remove ``conf`` and its stacks; the last configuration cannot be removed."""
        conf = self._own(conf)
        if len(self._configs) == 1:
            raise RuntimeError("Cannot remove the last configuration of a measurement.")
        if self._running_config() is conf:
            raise RuntimeError("Cannot remove a configuration while it is measured.")
        with self._lock:
            i = self._configs.index(conf)
            self._configs.remove(conf)
            for s in conf._stacks:
                s._owner = None
            if self._active is conf:
                self._active = self._configs[min(i, len(self._configs) - 1)]

    # --- parameters of the active configuration ---------------------------------
    def parameters(self, path: str = ""):
        return self.active_configuration().parameters(path)

    def set_parameters(self, path: str, value) -> None:
        self.active_configuration().set_parameters(path, value)

    # --- stacks -----------------------------------------------------------------
    def number_of_stacks(self) -> int:
        return len(self._all_stacks())

    def stack_names(self) -> list:
        return [s.name() for s in self._all_stacks()]

    def stack(self, key) -> Stack:
        return _pick(self._all_stacks(), key, "stack")

    def create_stack(self, type, sizes, noview: bool = False) -> Stack:
        """A new zero stack in the active configuration; ``sizes`` x first (Imspector uses four)."""
        sizes = list(sizes)
        if len(sizes) != 4:
            raise RuntimeError("create_stack expects exactly four sizes.")
        s = Stack(type, sizes)
        return self.active_configuration()._add_stack(s, f"{np.dtype(type).name} stack")

    def update(self) -> None:
        """Redraw the measurement's stacks (here: count the update and notify listeners)."""
        self._updates += 1
        self._im._emit(12, self)

    def show(self, visible: bool = True) -> None:
        self._shown = bool(visible)

    def document(self) -> dict:
        return {"name": self._name, "path": self._path, "configurations": self.configuration_names()}

    # --- files ------------------------------------------------------------------
    def save_as(self, path, compression: bool = True) -> None:
        """Write every stack (all configurations) to an OBF file; each stack carries its
        configuration's parameters (``doc``) and the hardware tree (``hwr``) in its ``imspector`` tag."""
        from . import oprop
        from .file import File
        hwr = self._im._hardware.tree()
        with File(path, File.Write) as f:
            f.set_description(oprop.from_python({"Measurement": {"name": self._name}}))
            for c in self._configs:
                tag = oprop.from_python({"doc": c._params.tree(), "hwr": hwr,
                                         "configuration": c.name()})
                for s in c._stacks:
                    s._tags["imspector"] = tag
                    f.write(s, compression)
        self._path = str(path)

    def save(self, compression: bool = True) -> None:
        if not self._path:
            raise RuntimeError("The measurement has no file name yet; use save_as(path).")
        self.save_as(self._path, compression)

    def __repr__(self):
        return f"<Measurement {self._name!r}: {self.configuration_names()}>"
