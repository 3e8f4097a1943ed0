"""The ptycho parameter tree against ptypy's reference (read from ../shared at test time)."""
from __future__ import annotations

import ast
import re

import numpy as np
import pytest

from beamkit.errors import ParameterError
from beamkit.ptycho import params
from beamkit.ptycho.params import TREE
from beamkit.ptycho.utils import Param
from tests.conftest import shared_file

_ALIAS = {"NoneType": "None", "ndarray": "array"}
# entries added in ptypy 0.9 after the published page was generated (notes: 674 vs 671)
_NEW_IN_09 = {"engine.ML.wavefield_precond", "engine.ML.wavefield_delta_object", "engine.ML.wavefield_delta_probe"}
# ptypy's custom OPR engines (ptypy/custom/DMOPR.py, MLOPR.py) are not in its generated reference
_CUSTOM = ("engine.DMOPR", "engine.MLOPR")


def _seed_entries():
    text = shared_file("seeds", "ptypy-parameters.rst").read_text()
    out = []
    cur = None
    for line in text.splitlines():
        m = re.match(r"^\.\. py:data:: (\S+) \((.*)\)\s*$", line)
        if m:
            cur = dict(path=m.group(1), types=[t.strip() for t in m.group(2).split(",")], default=None)
            out.append(cur)
            continue
        m = re.match(r"^\s+\*default\* = (.*)$", line)
        if m and cur is not None:
            cur["default"] = m.group(1).strip()
    return out


def _tree_path(seed_path):
    return seed_path.replace("scans.scan_00", "scans.*").replace("engines.engine_00", "engines.*")


def _split_default(text):
    """(value text, lowlim, uplim) of a seed default like ``0.05 (>0.0)``."""
    m = re.match(r"^``(.*)``$", text)
    s = m.group(1) if m else text
    lo = up = None
    lim = re.search(r" \((>[^,<)]*)?(?:, )?(<[^)]*)?\)$", s)
    if lim and (lim.group(1) or lim.group(2)):
        lo = float(lim.group(1)[1:]) if lim.group(1) else None
        up = float(lim.group(2)[1:]) if lim.group(2) else None
        s = s[:lim.start()]
    return s, lo, up


def test_every_seed_entry_is_declared_with_type_default_and_limits():
    seed = _seed_entries()
    assert len(seed) == 671
    bad = []
    for e in seed:
        path = _tree_path(e["path"])
        if path not in TREE:
            bad.append((path, "missing"))
            continue
        d = TREE[path]
        text, lo, up = _split_default(e["default"])
        if text.startswith(":py:data:"):
            target = re.search(r"`(.*)`", text).group(1)
            assert d.is_link, path
            if d.default_target().path != target:
                bad.append((path, "link", d.default_target().path, target))
            continue
        want_types = [_ALIAS.get(t, t) for t in e["types"]]
        if d.type != want_types:
            bad.append((path, "type", d.type, want_types))
        if text == "Param({})":
            if not (isinstance(d.default, dict) and not d.default):
                bad.append((path, "default", d.default, "{}"))
        else:
            want = ast.literal_eval(text)
            got = d.default
            if not (got == want and type(got) is type(want)):
                bad.append((path, "default", got, want))
        if (d.lowlim, d.uplim) != (lo, up):
            bad.append((path, "limits", (d.lowlim, d.uplim), (lo, up)))
    assert not bad, bad[:10]


def test_reference_lists_the_same_entries():
    seed = {e["path"] for e in _seed_entries()}
    rst = TREE.to_rst()
    ours = set(re.findall(r"^\.\. py:data:: (\S+) ", rst, flags=re.M))
    custom = {p for p in ours if p in _CUSTOM or p.startswith(tuple(c + "." for c in _CUSTOM))}
    assert {"engine.DMOPR.IP_metric", "engine.MLOPR.subspace_dim", "engine.DMOPR.alpha"} <= custom
    assert ours - seed - custom == _NEW_IN_09
    assert seed - ours == set()
    # help texts are ours and short
    assert all(len(TREE[_tree_path(p)].help) <= 110 for p in seed)
    assert all(TREE[_tree_path(p)].help for p in seed if p.count(".") >= 1)


def test_declarations_are_consistent():
    assert TREE.check_declarations() == []
    assert len(list(TREE.root.descendants())) == 744     # 674 of ptypy's reference + DMOPR/MLOPR


def test_links_resolve():
    p = Param(io=Param(interaction=Param(server=Param(port=5600))),
              scans=Param(MF=Param(name="BlockFull", data=Param(name="MoonFlowerScan", num_frames=50))),
              engines=Param(e0=Param(name="RAAR", numiter=7)))
    r = TREE.resolve(p, root="ptycho")
    assert r.io.interaction.server.port == 5600 and r.io.interaction.server.pingtimeout == 10
    assert r.io.interaction.client.connection_timeout == 3600000.0
    assert r.scans.MF.coherence.num_probe_modes == 1          # scan.BlockFull schema
    assert r.scans.MF.data.shape == 128 and r.scans.MF.data.density == 0.2   # scandata.MoonFlowerScan
    assert r.engines.e0.beta == 0.75 and r.engines.e0.numiter == 7         # engine.RAAR
    assert p.engines.e0 == {"name": "RAAR", "numiter": 7}    # input untouched
    assert TREE["ptycho.io.interaction.server"].targets()[0].path == "io.interaction.server"


def test_unknown_engine_and_scan_names_list_known_ones():
    p = Param(engines=Param(e0=Param(name="MLOPRX")), scans=Param(s=Param(name="Fulll")))
    with pytest.raises(ParameterError) as err:
        TREE.validate(p, root="ptycho")
    msg = str(err.value)
    assert "'MLOPRX' is not registered" in msg and "DM, RAAR, EPIE, SDR, ML" in msg and "MLOPR" in msg
    assert "'Fulll'" in msg and "BlockFull" in msg
    with pytest.raises(ParameterError, match="no name given"):
        TREE.validate(Param(engines=Param(e0=Param(numiter=3))), root="ptycho")


def test_every_bad_entry_is_reported():
    p = Param(engines=Param(e0=Param(name="DM", numiter=0, fourier_relax_factor=-1, bogus=3, subpix="cubic")),
              data_type="quad")
    issues = TREE.check(p, root="ptycho")
    paths = sorted(i.path for i in issues)
    assert paths == ["data_type", "engines.e0.bogus", "engines.e0.fourier_relax_factor",
                     "engines.e0.numiter", "engines.e0.subpix"]


def test_lenient_numbers_and_defaults_helper():
    p = Param(engines=Param(e0=Param(name="DM", numiter=np.int64(10), alpha=1)))
    TREE.validate(p, root="ptycho")
    d = params.defaults("scandata.MoonFlowerScan")
    assert d == TREE["scandata.MoonFlowerScan"].make_default()
    assert params.known("engine")[:5] == ["DM", "RAAR", "EPIE", "SDR", "ML"]
    with pytest.raises(ParameterError):
        params.defaults("engine.NOPE")
