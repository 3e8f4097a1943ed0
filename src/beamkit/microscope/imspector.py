"""SpecPy's ``Imspector`` application object, over a simulated microscope.

``Imspector()`` creates a simulated microscope in this process;
``Imspector(host[, port])`` returns a proxy to an Imspector server (ours from
``beamkit microscope serve`` or a real one) speaking SpecPy's wire protocol.
``start`` runs the active configuration in a background thread and returns a
:class:`Future`; ``run`` blocks until the end.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

from ..core.log import get_logger
from . import oprop
from .acquisition import Acquisition, Future, Signal
from .measurement import Measurement
from .params import check_simulator
from .ptree import DEVICE_DRIVERS, ParameterTree, default_hardware_tree, default_state_tree
from .simulator import make_sample

__all__ = ["Imspector", "get_application", "get_imspector", "ValueTree", "MeasurementSignal",
           "MeasurementStartFlags", "MeasurementResult", "Value", "Future", "VERSION"]

log = get_logger("microscope")
VERSION = "16.3.99999-beamkit"


class ValueTree:
    Hardware, Status, Measurement = 0, 1, 2


MeasurementSignal = Signal


class MeasurementStartFlags:
    Default, Continue, OnFrameOnly = 0, 2, 4


class MeasurementResult:
    Success, Cancelled = 0, 1


class Value:
    """A node of a value tree: ``get()``, ``set(v)``, ``value_at(subpath)``."""

    def __init__(self, im, path: str, tree: int):
        self._im, self._path, self._tree = im, path.strip("/"), int(tree)
        self._im._tree(self._tree).get(self._path)  # raises "No parameter ..." now

    def path(self) -> str:
        return self._path

    def get(self):
        return self._im._tree(self._tree).get(self._path)

    def set(self, value) -> None:
        self._im._tree(self._tree).set(self._path, value)

    def set_quiet(self, value) -> bool:
        try:
            self.set(value)
            return True
        except RuntimeError:
            return False

    def set_async(self, value) -> Future:
        f = Future()
        try:
            self.set(value)
            f._set(None)
        except RuntimeError as exc:
            f._set(error=str(exc))
        return f

    def value_at(self, subpath: str) -> "Value":
        return Value(self._im, f"{self._path}/{subpath}".strip("/"), self._tree)

    def __repr__(self):
        return f"<Value {self._path!r} tree={self._tree}>"


class _LocalImspector:
    """The simulated Imspector application (one per instance)."""

    def __init__(self):
        self._lock = threading.RLock()
        self._hardware = ParameterTree(default_hardware_tree(), validators={"Simulator": check_simulator})
        self._states = ParameterTree(default_state_tree())
        self._measurements: list[Measurement] = []
        self._active: Measurement | None = None
        self._acq: Acquisition | None = None
        self._paused: dict = {}       # measurement -> paused Acquisition
        self._callbacks: dict = {}    # signal -> [callable]
        self._run_counter = 0
        self._n_created = 0
        self._sample = None
        self._sample_key = None

    # --- identity and devices ------------------------------------------------------
    def host(self) -> str:
        return ""

    def version(self) -> str:
        return VERSION

    def device_drivers(self) -> dict:
        return dict(DEVICE_DRIVERS)

    def device_names(self) -> list:
        return list(DEVICE_DRIVERS)

    # --- value trees ---------------------------------------------------------------
    def _tree(self, which: int) -> ParameterTree:
        if which == ValueTree.Hardware:
            return self._hardware
        if which == ValueTree.Status:
            return self._states
        if which == ValueTree.Measurement:
            return self.active_measurement().active_configuration()._params
        raise RuntimeError(f"Invalid value tree {which!r}")

    def value_at(self, path: str = "", tree: int = ValueTree.Measurement) -> Value:
        return Value(self, path, tree)

    def parameters(self, path: str = ""):
        """Hardware parameter at ``path`` ('' = all, as a dict)."""
        return self._hardware.get(path)

    def set_parameters(self, path: str, value) -> None:
        self._hardware.set(path, value)

    def state(self, path: str = ""):
        return self._states.get(path)

    def set_state(self, path: str, value) -> None:
        self._states.set(path, value)

    def _set_state(self, running=None, paused=None, progress=None):
        with self._states._lock:
            st = self._states._t["ExpControl"]["measurement"]
            if running is not None:
                st["running"] = running
            if paused is not None:
                st["paused"] = paused
            if progress is not None:
                st["progress"] = float(progress)

    # --- measurements ----------------------------------------------------------------
    def measurement_names(self) -> list:
        return [m.name() for m in self._measurements]

    def active_measurement(self) -> Measurement:
        if self._active is None:
            raise RuntimeError("No active measurement.")
        return self._active

    def measurement(self, name) -> Measurement:
        for m in self._measurements:
            if m.name() == name:
                return m
        raise RuntimeError(f"No measurement '{name}'")

    def _unique_name(self, base: str) -> str:
        names, name, k = set(self.measurement_names()), base, 1
        while name in names:
            name = f"{base} [{k}]"
            k += 1
        return name

    def create_measurement(self, flags: int = 0) -> Measurement:
        """A new measurement with one default configuration; it becomes the active one."""
        with self._lock:
            self._n_created += 1
            m = Measurement(self, self._unique_name(f"Untitled {self._n_created}"))
            self._measurements.append(m)
            self._active = m
            return m

    def clone_measurement(self, m, flags: int = 0) -> Measurement:
        m = self._own(m)
        c = self.create_measurement(flags)
        c._configs = []
        for conf in m._configs:
            c._add_config(conf._params.tree(), conf.name())
        c._active = c._configs[m._configs.index(m.active_configuration())]
        return c

    def _own(self, m) -> Measurement:
        if not isinstance(m, Measurement) or m not in self._measurements:
            raise RuntimeError("The measurement is not open in this Imspector.")
        return m

    def open(self, path, flags: int = 0) -> Measurement:
        """Open an .obf/.msr file as a measurement (or return it if it is open already)."""
        from .file import File
        p = str(Path(path).resolve())
        for m in self._measurements:
            if m.path() and str(Path(m.path()).resolve()) == p:
                return m
        f = File(p, File.Read)
        stacks = [f.read(i) for i in range(f.number_of_stacks())]
        f.close()
        with self._lock:
            m = Measurement(self, self._unique_name(Path(p).name), path=p)
            conf = m.active_configuration()
            for s in stacks:
                doc = oprop.to_python(s._tags.get("imspector", ""))
                if isinstance(doc, dict) and isinstance(doc.get("doc"), dict):
                    try:
                        conf.set_parameters("", doc["doc"])
                    except RuntimeError:
                        log.warning("parameters of %s do not fit the simulated tree; defaults kept", p)
                    break
            for s in stacks:
                conf._add_stack(s, s.name() or "Stack")
            self._measurements.append(m)
            self._active = m
            return m

    def activate(self, m) -> None:
        self._active = self._own(m)

    def close(self, m) -> None:
        """Close ``m`` (stopping it if it runs)."""
        m = self._own(m)
        if self._acq is not None and self._acq.measurement is m and self._acq.alive():
            self.stop(m)
            self._acq.future.wait_for(60000)
        with self._lock:
            self._paused.pop(m, None)
            i = self._measurements.index(m)
            self._measurements.remove(m)
            if self._active is m:
                self._active = self._measurements[min(i, len(self._measurements) - 1)] \
                    if self._measurements else None

    def active_stack(self):
        m = self.active_measurement()
        stacks = m.active_configuration()._stacks or m._all_stacks()
        if not stacks:
            raise RuntimeError("No active stack.")
        return stacks[-1]

    # --- acquisition -----------------------------------------------------------------
    def _get_sample(self):
        sim = self._hardware.get("Simulator")
        key = (sim["seed"], sim["n_beads"], sim["n_filaments"], sim["field"])
        if self._sample_key != key:
            self._sample = make_sample(int(sim["seed"]), int(sim["n_beads"]), int(sim["n_filaments"]),
                                       float(sim["field"]))
            self._sample_key = key
        return self._sample

    def start(self, arg=MeasurementStartFlags.Default) -> Future:
        """Start the active measurement (or activate and start a given one); returns at once."""
        if isinstance(arg, Measurement):
            self.activate(arg)
            flags = 0
        else:
            flags = int(arg)
        with self._lock:
            if self._acq is not None and self._acq.alive():
                raise RuntimeError("A measurement is running already.")
            m = self.active_measurement()
            acq = self._paused.pop(m, None)
            if acq is None or flags & MeasurementStartFlags.OnFrameOnly:
                self._run_counter += 1
                acq = Acquisition(self, m, self._get_sample())
            self._acq = acq
            acq.start()
            return acq.future

    def pause(self, m=None) -> None:
        """Pause the running measurement after the current line; ``start`` continues it."""
        acq = self._acq
        if acq is None or not acq.alive() or (m is not None and acq.measurement is not m):
            return
        self._paused[acq.measurement] = acq
        acq.pause()
        acq._thread.join()

    def stop(self, m=None) -> None:
        """Stop the running (or paused) measurement; its Future gives Cancelled (1)."""
        acq = self._acq
        if acq is not None and acq.alive() and (m is None or acq.measurement is m):
            acq.stop()
            acq._thread.join()
            return
        target = m if m is not None else self._active
        paused = self._paused.pop(target, None) if target is not None else None
        if paused is not None:
            paused.state = "stopped"
            self._finish(paused, MeasurementResult.Cancelled)

    def run(self, m=None) -> int:
        """Start ``m`` (or the active measurement) and return its result when it ends."""
        if m is not None:
            self.activate(m)
        return self.start().get()

    def _finish(self, acq, result, error=None):
        self._set_state(running=False, paused=False)
        self._emit(Signal.end_measurement, acq.measurement)
        self._emit(Signal.end_sequence, acq.measurement)
        acq.future._set(result, error)

    # --- callbacks -------------------------------------------------------------------
    def connect(self, callback, signal: int, timeout_ms: int = -1) -> bool:
        if not callable(callback):
            raise RuntimeError("The callback is not callable.")
        with self._lock:
            self._callbacks.setdefault(int(signal), []).append(callback)
        return True

    def disconnect(self, callback, signal: int) -> bool:
        with self._lock:
            lst = self._callbacks.get(int(signal), [])
            for i, cb in enumerate(lst):
                if cb == callback:
                    del lst[i]
                    return True
        return False

    connect_measurement_cb = connect
    disconnect_measurement_cb = disconnect

    def connect_begin(self, callback, flag: int) -> bool:
        """Call ``callback()`` when the measurement (flag 0) or each step (flag 1) begins."""
        return self.connect(callback, Signal.beg_sequence if flag == 0 else Signal.beg_step)

    def connect_end(self, callback, flag: int) -> bool:
        """Call ``callback()`` when the measurement (flag 0) or each step (flag 1) ends."""
        return self.connect(callback, Signal.end_sequence if flag == 0 else Signal.end_step)

    def disconnect_begin(self, callback, flag: int) -> bool:
        return self.disconnect(callback, Signal.beg_sequence if flag == 0 else Signal.beg_step)

    def disconnect_end(self, callback, flag: int) -> bool:
        return self.disconnect(callback, Signal.end_sequence if flag == 0 else Signal.end_step)

    def _emit(self, signal: int, measurement=None):
        with self._lock:
            cbs = list(self._callbacks.get(signal, []))
        for cb in cbs:
            try:
                cb()
            except Exception:  # noqa: BLE001 - a user callback must not kill the scan
                log.exception("callback %r for signal %d failed", cb, signal)

    def log(self, level: int, message: str) -> None:
        log.info("[%d] %s", level, message)

    def __repr__(self):
        return f"<Imspector (simulated) {self.measurement_names()}>"


def Imspector(host: str | None = None, port: int = 0):  # noqa: N802 - SpecPy's name
    """A simulated Imspector in this process, or a proxy to the server on ``host``."""
    if host is None:
        return _LocalImspector()
    from .client import RemoteImspector
    return RemoteImspector(host, port or int(os.environ.get("SPEC_SERVER_PORT", 12345)))


_APP = None
_APP_LOCK = threading.Lock()


def get_application(host: str | None = None, port_num: int = 0):
    """The process-wide simulated Imspector, or a proxy to ``host`` (port 12345 / SPEC_SERVER_PORT)."""
    global _APP
    if host is not None:
        return Imspector(host, port_num)
    with _APP_LOCK:
        if _APP is None:
            _APP = _LocalImspector()
        return _APP


get_imspector = get_application
