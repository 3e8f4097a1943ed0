"""Imspector-style parameter trees: nested dicts addressed by ``a/b/c`` paths.

The default trees follow the paths of real Imspector parameter dumps
(``ExpControl/scan/range/x/psz`` ...); values are SI (m, s) unless noted.
"""
from __future__ import annotations

import copy
import numbers
import threading

from .params import check_simulator, simulator_defaults

__all__ = ["ParameterTree", "default_measurement_tree", "default_hardware_tree", "default_state_tree",
           "decode_scan_mode", "SCAN_MODES", "DEVICE_DRIVERS"]

#: scan modes: four bits per slot, x=0, y=1, z=2, t=3, none=5 (slot 0 = fastest axis)
SCAN_MODES = {"xy": 0x510, "xyz": 0x210, "xyt": 0x310, "xz": 0x520, "t": 0x553, "x": 0x550}
_AXIS = {0: "x", 1: "y", 2: "z", 3: "t"}

DEVICE_DRIVERS = {
    "ExpControl": "Abberior ExpControl (simulated)",
    "OlympusIX": "Olympus IX83 stand (simulated)",
    "Pinhole": "motorised pinhole (simulated)",
    "Exc_485": "pulsed diode laser 485 nm (simulated)",
    "Exc_561": "pulsed diode laser 561 nm (simulated)",
    "Exc_640": "pulsed diode laser 640 nm (simulated)",
    "STED_775": "pulsed STED laser 775 nm (simulated)",
    "Sync": "synchronisation (simulated)",
    "TimeLapse": "time-lapse controller (simulated)",
}
LASERS = [("Exc_485", 4.85e-07), ("Exc_561", 5.61e-07), ("Exc_640", 6.4e-07), ("STED_775", 7.75e-07)]


def decode_scan_mode(mode: int) -> list:
    """Axes of a bit-coded scan mode, fastest first, e.g. 0x510 -> ['x', 'y']."""
    axes = []
    for slot in range(3):
        code = (int(mode) >> (4 * slot)) & 0xF
        if code == 5:
            break
        if code not in _AXIS:
            raise RuntimeError(f"Invalid argument for parameter 'ExpControl/scan/range/mode' ({mode})")
        axes.append(_AXIS[code])
    return axes


def _axis(psz, res, off=0.0):
    return {"len": psz * res, "psz": psz, "res": res, "off": off, "g_off": 0.0}


def default_measurement_tree() -> dict:
    """Parameters of one configuration (ValueTree.Measurement), shaped like Imspector's."""
    return {
        "ExpControl": {
            "scan": {
                "range": {
                    "mode": SCAN_MODES["xy"],
                    "x": _axis(5e-8, 100), "y": _axis(5e-8, 100), "z": _axis(2e-7, 1),
                    "t": {"len": 1.0, "psz": 1.0, "res": 1, "off": 0.0, "g_off": 0.0},
                    "lambda": {"beg": 4e-07, "end": 8e-07, "res": 16},
                    "coarse_x": {"g_off": 0.0}, "coarse_y": {"g_off": 0.0}, "coarse_z": {"g_off": 0.0},
                    "line_accu": 1,
                },
                "dwelltime": 1e-05,
            },
            "measurement": {
                "channels": [
                    {"name": "Ch1", "detsel": {"detector": "APD 1", "spectral_range": {"min": 6.5e-07, "max": 7.2e-07}},
                     "lasers": [2, 3], "rescue": {"signal_level": 0, "strength": 0}},
                    {"name": "Ch2", "detsel": {"detector": "APD 2", "spectral_range": {"min": 5.8e-07, "max": 6.3e-07}},
                     "lasers": [1], "rescue": {"signal_level": 0, "strength": 0}},
                ],
                "lasers": [{"name": n, "power": {"calibrated": 0.0 if n == "STED_775" else 10.0},
                            "wavelength": w} for n, w in LASERS],
                "pixel_steps": {"step_duration": [1e-05], "step_count": 1},
                "line_steps": {"step_duration": [1e-05]},
                "allow_custom_phase_patterns": False,
            },
            "lasers": {"power_calibrated": [{"value": {"calibrated": 10.0}} for _ in LASERS]},
            "gating": {"linesteps": {"steps_active": [True, False, False, False],
                                     "laser_on": [[True] * len(LASERS)] + [[False] * len(LASERS)] * 3,
                                     "laser_enabled": [True] * len(LASERS), "chans_on": [True, True]},
                       "tcspc": {"channels": [{"mode": 0, "stream": False}, {"mode": 0, "stream": False}]}},
            "trigger": {"mode": 0},
            "three_d": {"modules": {"item": {"mrs": {"position": {"value": {"calibrated": 0.0}}}}}},
        },
        "Pinhole": {"pinhole_size": 1e-4, "wheel_position": 0},
        "OlympusIX": {"scanrange": {"z": {"z-stabilizer": {"enabled": False}}}},
        "Measurement": {"axes": {"scan_axes": ["ExpControl X", "ExpControl Y", "None", "None"],
                                 "num_synced": 2},
                        "propset_label": "meas01"},
    }


def default_hardware_tree() -> dict:
    """Hardware settings (ValueTree.Hardware): calibration, stage, lasers, the simulated sample."""
    tree = {
        "ExpControl": {"calibration": {"scan": {"flip_x_axis": False, "flip_y_axis": False, "flip_z_axis": False}},
                       "objective": {"na": 1.4, "magnification": 100}},
        "OlympusIX": {"stage": {"invert_x": False, "invert_y": False, "position": {"x": 0.0, "y": 0.0, "z": 0.0}},
                      "scanrange": {"x": {"offset": 0.0}, "y": {"offset": 0.0}}},
        "Pinhole": {"pinhole_size": 1e-4},
        "Sync": {"period": 1.25e-08},
        "TimeLapse": {"enabled": False, "interval": 1.0},
        "Simulator": simulator_defaults(),
    }
    for name, wl in LASERS:
        tree[name] = {"wavelength": wl, "max_power": 1e-3 if name != "STED_775" else 1.0, "enabled": True}
    return tree


def default_state_tree() -> dict:
    """Status values (ValueTree.Status)."""
    st = {"ExpControl": {"measurement": {"running": False, "paused": False, "progress": 0.0}},
          "OlympusIX": {"stage": {"position": {"x": 0.0, "y": 0.0, "z": 0.0}}}}
    for name, _ in LASERS:
        st[name] = {"on": False, "status": 0}
    return st


def _compatible(old, new) -> bool:
    if isinstance(old, bool):
        return isinstance(new, (bool, numbers.Integral))
    if isinstance(old, numbers.Real):
        return isinstance(new, numbers.Real)
    if isinstance(old, str):
        return isinstance(new, str)
    if isinstance(old, (list, tuple)):
        return isinstance(new, (list, tuple))
    if isinstance(old, dict):
        return isinstance(new, dict)
    return True


class ParameterTree:
    """A nested dict with ``a/b/c`` access, type-checked sets and Imspector's scan-range coupling."""

    def __init__(self, tree: dict, couple_scan: bool = False, validators: dict | None = None):
        self._t = tree
        self._lock = threading.RLock()
        self._couple = couple_scan
        self._validators = validators or {}   # top-level key -> callable(subtree) raising RuntimeError

    @staticmethod
    def _parts(path):
        if not isinstance(path, str):
            raise RuntimeError(f"Invalid argument for parameter '{path}'")
        return [p for p in path.split("/") if p]

    def _node(self, parts, path):
        node = self._t
        for p in parts:
            if isinstance(node, dict) and p in node:
                node = node[p]
            elif isinstance(node, list) and p.isdigit() and int(p) < len(node):
                node = node[int(p)]
            else:
                raise RuntimeError(f"No parameter '{path}'")
        return node

    def get(self, path: str = ""):
        """A copy of the value (a dict for a subtree) at ``path``; RuntimeError if absent."""
        with self._lock:
            return copy.deepcopy(self._node(self._parts(path), path))

    def has(self, path: str) -> bool:
        try:
            self._node(self._parts(path), path)
            return True
        except RuntimeError:
            return False

    def set(self, path: str, value) -> None:
        """Set the value at ``path``; a dict sets each of its (known) keys. RuntimeError on bad input."""
        with self._lock:
            parts = self._parts(path)
            self._check(parts, value, path)
            keys = [parts[0]] if parts else [k for k in value if k in self._validators]
            keys = [k for k in keys if k in self._validators]
            saved = {k: copy.deepcopy(self._t[k]) for k in keys}
            self._assign(parts, value)
            try:
                for k in keys:
                    self._validators[k](self._t[k])
            except RuntimeError:
                self._t.update(saved)
                raise

    def _check(self, parts, value, path):
        old = self._node(parts, path)
        if isinstance(old, dict) and isinstance(value, dict):
            for k, v in value.items():
                sub = f"{path}/{k}" if path else str(k)
                self._check(parts + [str(k)], v, sub)
        elif not _compatible(old, value):
            raise RuntimeError(f"Invalid argument for parameter '{path}'")
        elif self._couple and len(parts) == 5 and parts[:3] == ["ExpControl", "scan", "range"] \
                and parts[4] in ("psz", "len", "res") and not value > 0:
            raise RuntimeError(f"Invalid argument for parameter '{path}': must be > 0")

    def _assign(self, parts, value):
        if not parts:
            for k, v in value.items():
                self._assign([str(k)], v)
            return
        parent = self._node(parts[:-1], "/".join(parts))
        key = parts[-1]
        old = parent[int(key)] if isinstance(parent, list) else parent[key]
        if isinstance(old, dict) and isinstance(value, dict):
            for k, v in value.items():
                self._assign(parts + [str(k)], v)
            return
        if isinstance(old, bool):
            value = bool(value)
        elif isinstance(old, numbers.Integral) and isinstance(value, numbers.Real):
            value = int(round(value))
        elif isinstance(old, float):
            value = float(value)
        else:
            value = copy.deepcopy(value)
        if isinstance(parent, list):
            parent[int(key)] = value
        else:
            parent[key] = value
        if self._couple and len(parts) == 5 and parts[:3] == ["ExpControl", "scan", "range"] \
                and parts[3] in ("x", "y", "z", "t") and parts[4] in ("psz", "len", "res"):
            self._couple_axis(parent, parts[4])

    @staticmethod
    def _couple_axis(ax, changed):
        """Keep len = psz * res: psz or len changed -> new res; res changed -> new psz (all > 0)."""
        if ax["psz"] <= 0 or ax["len"] <= 0 or ax["res"] < 1:
            raise RuntimeError("Invalid argument for parameter 'ExpControl/scan/range': sizes must be positive")
        if changed == "psz":
            ax["res"] = max(1, int(round(ax["len"] / ax["psz"])))
            ax["len"] = ax["res"] * ax["psz"]
        elif changed == "len":
            ax["res"] = max(1, int(round(ax["len"] / ax["psz"])))
            ax["psz"] = ax["len"] / ax["res"]
        else:
            ax["psz"] = ax["len"] / ax["res"]

    def tree(self) -> dict:
        return self.get("")
