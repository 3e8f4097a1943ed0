"""Image Controls as GSAS-II keeps them: defaults, checks, and ``.imctrl`` files.

An ``.imctrl`` file holds one ``key:value`` line per control, the value a
Python literal (numbers, strings, lists, dicts, booleans).  Files written by
GSAS-II under numpy 2 wrap floats as ``np.float64(...)``; those wrappers are
accepted.  Values are parsed with :func:`ast.literal_eval` only (never eval).
"""
from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

from ..core.files import atomic_write
from ..errors import FormatError, ParameterError

__all__ = ["default_controls", "read_imctrl", "write_imctrl", "parse_imctrl_text", "apply_controls",
           "VARY_NAMES", "CONTROL_FILE_KEYS"]

VARY_NAMES = ("dist", "det-X", "det-Y", "tilt", "phi", "dep", "wave", "sag")
CONTROL_FILE_KEYS = {"dark": "dark image", "background": "background image", "gain": "Gain map"}

# keys written to an .imctrl file, in GSAS-II's order
SAVE_KEYS = ("type", "color", "wavelength", "calibrant", "distance", "center", "Oblique", "tilt",
             "rotation", "azmthOff", "fullIntegrate", "LRazimuth", "setdist", "IOtth", "outChannels",
             "outAzimuths", "invert_x", "invert_y", "DetDepth", "calibskip", "pixLimit", "cutoff",
             "calibdmin", "Flat Bkg", "varyList", "binType", "SampleShape", "PolaVal", "SampleAbs",
             "dark image", "background image", "Gain map", "det2theta", "sag")


def default_controls() -> dict:
    """A fresh Image Controls dict with GSAS-II's defaults (lengths in mm, angles in deg, λ in Å)."""
    return {
        "type": "PWDR", "color": "gray", "wavelength": 0.10, "energy": 0.0, "calibrant": "",
        "distance": 100.0, "setdist": 100.0, "center": [0.0, 0.0], "Oblique": [0.5, False],
        "tilt": 0.0, "rotation": 0.0, "azmthOff": 0.0, "fullIntegrate": True,
        "LRazimuth": [0.0, 360.0], "IOtth": [1.0, 10.0], "outChannels": 2500, "outAzimuths": 1,
        "invert_x": False, "invert_y": False, "DetDepth": 0.0, "calibskip": 0, "pixLimit": 2,
        "cutoff": 10.0, "calibdmin": 0.5, "Flat Bkg": 0.0, "binType": "2-theta",
        "varyList": {"dist": True, "det-X": True, "det-Y": True, "tilt": True, "phi": True,
                     "dep": False, "wave": False, "sag": False},
        "SampleShape": "Cylinder", "PolaVal": [0.99, False], "SampleAbs": [0.0, False],
        "dark image": ["", -1.0], "background image": ["", -1.0], "Gain map": "",
        "det2theta": 0.0, "sag": 0.0, "pixelSize": [100.0, 100.0], "size": [0, 0],
        "range": [[0, 0], [0, 0]], "ring": [], "rings": [], "ellipses": [], "showLines": True,
    }


_NPWRAP = re.compile(r"np\.(?:float|int|uint|bool_?|str_)\d*\(([^()]*)\)")


def _literal(text: str, path, lineno: int, key: str):
    cleaned = _NPWRAP.sub(r"\1", text)
    try:
        return ast.literal_eval(cleaned)
    except (ValueError, SyntaxError):
        pass
    # GSAS-II writes some strings unquoted (e.g. ``calibrant:CeO2  SRM674b``, ``type:PWDR``)
    if not any(ch in cleaned for ch in "[]{}()'\""):
        return text
    raise FormatError(f"bad value for {key!r}", path=path, line=lineno,
                      expected="a Python literal (number, string, list or dict)", got=text)


def parse_imctrl_text(text: str, path=None) -> dict:
    """Parse the text of an ``.imctrl`` file into a controls dict (only the keys present)."""
    out = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if ":" not in line:
            raise FormatError("line without ':'", path=path, line=lineno, expected="key:value", got=line)
        key, val = line.split(":", 1)
        key = key.strip()
        if key in ("calibrant", "type", "color", "binType", "SampleShape", "Gain map"):
            out[key] = val.strip() if key != "calibrant" else val.rstrip()
            continue
        out[key] = _literal(val.strip(), path, lineno, key)
    return out


def read_key_value_file(path, what: str = "controls") -> dict:
    """Read a GSAS-II ``key:value`` text file (``.imctrl``, ``.immask``) into a dict of its keys."""
    p = Path(path)
    try:
        text = p.read_text(encoding="latin-1")
    except OSError as exc:
        raise FormatError(f"cannot read {what} file: {exc}", path=p) from exc
    return parse_imctrl_text(text, p)


def read_imctrl(path) -> dict:
    """Read an ``.imctrl`` file; returns only the keys it holds (see :func:`apply_controls`)."""
    vals = read_key_value_file(path, "controls")
    if not vals:
        raise FormatError("empty controls file", path=path, expected="key:value lines")
    return vals


def _fmt(value) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_fmt(v)}" for k, v in value.items()) + "}"
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    return repr(value) if not isinstance(value, str) else repr(value)


def write_imctrl(path, controls: dict) -> None:
    """Write the calibration and integration keys of ``controls`` to an ``.imctrl`` file (atomic)."""
    lines = []
    for key in SAVE_KEYS:
        if key not in controls:
            continue
        val = controls[key]
        if key in ("calibrant", "type", "color", "binType", "SampleShape", "Gain map"):
            lines.append(f"{key}:{val}")
        else:
            lines.append(f"{key}:{_fmt(val)}")
    with atomic_write(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


_SHAPES = {
    "center": 2, "pixelSize": 2, "IOtth": 2, "LRazimuth": 2, "Oblique": 2, "PolaVal": 2,
    "SampleAbs": 2, "size": 2,
}
_NUMBERS = ("wavelength", "distance", "setdist", "tilt", "rotation", "azmthOff", "DetDepth",
            "cutoff", "calibdmin", "Flat Bkg", "det2theta", "sag")
_INTS = ("outChannels", "outAzimuths", "calibskip", "pixLimit")


def _check(key, value):
    if key in _NUMBERS:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ParameterError(key, "a number", value) from None
    if key in _INTS:
        try:
            iv = int(value)
        except (TypeError, ValueError):
            raise ParameterError(key, "an integer", value) from None
        if key in ("outChannels", "outAzimuths") and iv < 1:
            raise ParameterError(key, "an integer >= 1", value)
        return iv
    if key in _SHAPES:
        if not isinstance(value, (list, tuple)) or len(value) != _SHAPES[key]:
            raise ParameterError(key, f"a list of {_SHAPES[key]} values", value)
        return [v.item() if hasattr(v, "item") else v for v in value]
    if key == "varyList":
        if not isinstance(value, dict):
            raise ParameterError(key, "a dict of refinement flags", value)
        bad = [k for k in value if k not in VARY_NAMES]
        if bad:
            raise ParameterError(f"varyList.{bad[0]}", f"one of {VARY_NAMES}", bad[0])
        return {k: bool(v) for k, v in value.items()}
    return value


def apply_controls(controls: dict, values: dict) -> dict:
    """Update ``controls`` in place with checked ``values``; fills GSAS-II's missing defaults.

    Missing ``sag`` / ``varyList['sag']`` get 0.0 / False (GSAS-II quirk 2: its
    Recalibrate needs them and .imctrl files never hold them).
    """
    issues = []
    checked = {}
    for key, value in values.items():
        try:
            checked[key] = _check(key, copy.deepcopy(value))
        except ParameterError as exc:
            issues.extend(exc.issues)
    if issues:
        raise ParameterError(issues)
    controls.update(checked)
    controls.setdefault("sag", 0.0)
    vl = controls.setdefault("varyList", {})
    for name in VARY_NAMES:
        vl.setdefault(name, False)
    if float(controls.get("DetDepth", 0.0)) > 0.5:   # GSAS-II's old unit: mm, now a fraction of distance
        controls["DetDepth"] = float(controls["DetDepth"]) / float(controls["distance"])
    return controls
