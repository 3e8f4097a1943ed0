"""The restricted .gpx unpickler: only the whitelist loads; anything else is refused and never runs."""
from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

import beamkit.powder as G2sc
from beamkit.errors import FormatError
from beamkit.powder.io_gpx import ALLOWED, read_gpx


class _Call:
    """Pickles as a call of ``func(*args)`` (what a hostile file would contain)."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


def _write(path, *records, protocol=1):
    with open(path, "wb") as fh:
        for r in records:
            pickle.dump(r, fh, protocol=protocol)


@pytest.mark.parametrize("func,name", [(os.system, "system"), (eval, "_builtin__.eval"),
                                       (exec, "_builtin__.exec"), (open, "open")])
def test_hostile_globals_refused_and_not_run(tmp_path, func, name):
    marker = tmp_path / "ran"
    if func is os.system:
        payload = _Call(os.system, f"touch {marker}")
    elif func is open:
        payload = _Call(open, str(marker), "w")
    else:
        payload = _Call(func, f"open({str(marker)!r}, 'w').close()")
    f = tmp_path / "evil.gpx"
    _write(f, [["Notebook", []]], [["Controls", {"a": payload}]])
    size = f.stat().st_size
    with pytest.raises(FormatError) as e:
        G2sc.G2Project(str(f))
    msg = str(e.value)
    assert name in msg and "not allowed" in msg and "evil.gpx" in msg
    assert not marker.exists()                          # nothing was executed
    assert f.stat().st_size == size                     # the file itself was not rewritten


def test_builtins_eval_refused_at_newer_protocol(tmp_path):
    marker = tmp_path / "ran"
    f = tmp_path / "evil4.gpx"
    _write(f, [["Controls", _Call(eval, f"open({str(marker)!r}, 'w').close()")]], protocol=4)
    with pytest.raises(FormatError, match="builtins.eval"):
        read_gpx(f)
    assert not marker.exists()


def test_ndarray_subclass_and_foreign_reconstructor_refused(tmp_path):
    f = tmp_path / "rec.gpx"
    _write(f, [["Controls", np.rec.fromarrays([np.arange(3)])]])
    with pytest.raises(FormatError, match="not allowed"):
        read_gpx(f)
    f2 = tmp_path / "od.gpx"
    _write(f2, [["Controls", __import__("collections").OrderedDict(a=1)]])
    with pytest.raises(FormatError, match="collections"):
        read_gpx(f2)


def test_whitelist_is_tight_and_plain_data_loads(tmp_path):
    # every admitted global is numpy reconstruction, text encoding, or the G2VarObj stand-in
    mods = {m for m, _ in ALLOWED}
    assert mods <= {"_codecs", "numpy", "numpy.core.multiarray", "numpy._core.multiarray", "numpy.ma",
                    "numpy.ma.core", "GSASIIobj", "GSASII.GSASIIobj", "copyreg", "copy_reg",
                    "__builtin__", "builtins"}
    assert {n for m, n in ALLOWED if m in ("builtins", "__builtin__")} == {"object"}
    f = tmp_path / "ok.gpx"
    data = {"x": np.arange(4.0), "m": np.ma.masked_array([1.0, 2.0], mask=[0, 1]), "s": np.float64(2.5),
            "t": ("a", 1), "b": "é"}
    _write(f, [["Controls", data], ["sub", [1, 2]]])
    out = read_gpx(f)
    assert np.array_equal(out["Controls"]["data"]["x"], np.arange(4.0))
    assert np.array_equal(out["Controls"]["data"]["m"], [1.0, 2.0]) and out["Controls"]["sub"] == [1, 2]
    assert out["Controls"]["data"]["s"] == 2.5 and out["Controls"]["data"]["b"] == "é"
