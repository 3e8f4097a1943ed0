"""The parameter tree on ptypy's full published reference, and the reflections face's settings.

``../shared/seeds/ptypy-parameters.rst`` (ptypy's own generated reference, 671
entries) is read at run time into a DescriptorTree; nothing of it is stored here.
"""
from __future__ import annotations

import ast
import inspect
import re
import time

import numpy as np
import pytest

from beamkit.core.params import DescriptorTree, Param
from beamkit.errors import ParameterError
from shared_data import shared_file

_ENTRY = re.compile(r"^\.\. py:data:: (\S+) \((.*)\)\s*$")
_SUFFIX = re.compile(r"^(?P<v>.*?) \((?:>(?P<lo>[^,<)]+))?(?:,\s*)?(?:<(?P<up>[^)]+))?\)$")


def read_seed(path):
    """(path, types, default text, lowlim, uplim, link, help, doc) for every entry of the seed page."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out = []
    i = 0
    while i < len(lines):
        m = _ENTRY.match(lines[i])
        if not m:
            i += 1
            continue
        body = []
        i += 1
        while i < len(lines) and not lines[i].lstrip().startswith("*default*"):
            body.append(lines[i][3:] if lines[i].startswith("   ") else lines[i].strip())
            i += 1
        dflt = lines[i].split("*default* = ", 1)[1].strip()
        paras = [p.strip() for p in "\n".join(body).split("\n\n")]
        paras = [p for p in paras if p and not p.startswith("*Wildcard*")]
        link = lo = up = None
        if dflt.startswith(":py:data:"):
            link, text = dflt.split("`")[1], None
        else:
            text = dflt.strip("`")
            s = _SUFFIX.match(text)
            if s and (s["lo"] or s["up"]):
                text, lo, up = s["v"], s["lo"], s["up"]
        out.append(dict(path=m[1], types=m[2], default=text, lowlim=lo, uplim=up, link=link,
                        help=paras[0] if paras else "", doc="\n\n".join(paras[1:])))
    return out


def tree_from_seed(entries) -> DescriptorTree:
    """Declare every seed entry; wildcards ``x_00`` become ``*``, links become @-types."""
    t = DescriptorTree("ptypy")
    names = {e["path"] for e in entries}
    for e in entries:
        path = e["path"]
        wild = e["path"].endswith("_00")
        if wild:
            path = path.rsplit(".", 1)[0] + ".*"
        kw = dict(help=e["help"], doc=e["doc"])
        if e["link"]:
            multi = wild or (e["path"] + ".name") in names
            tgt = e["link"]
            kw["type"] = "@" + (tgt.rsplit(".", 1)[0] + ".*" if multi else tgt)
            if multi:
                kw["default"] = tgt.rsplit(".", 1)[1]
        else:
            kw["type"] = e["types"]
            as_int = e["types"] == "int"
            for k in ("lowlim", "uplim"):
                if e[k] is not None:
                    v = float(e[k])
                    kw[k] = int(v) if as_int else v
            if e["default"] != "Param({})":
                kw["default"] = ast.literal_eval(e["default"])
        t.declare(path, **kw)
    return t


@pytest.fixture(scope="module")
def seed():
    entries = read_seed(shared_file("seeds", "ptypy-parameters.rst"))
    return entries, tree_from_seed(entries)


MOONFLOWER = {
    "verbose_level": "info",
    "io": {"home": "/tmp/ptypy/", "autoplot": {"active": False}, "interaction": {"server": {"port": 5580}}},
    "scans": {"MF": {"name": "BlockFull", "propagation": "farfield",
                     "data": {"name": "MoonFlowerScan", "shape": 128, "num_frames": 200, "save": None,
                              "density": 0.2, "photons": 1e8, "psf": 0.0}}},
    "engines": {"engine00": {"name": "DM", "numiter": 80, "numiter_contiguous": 10,
                             "probe_support": None, "overlap_converge_factor": 0.001},
                "engine01": {"name": "ML", "numiter": 20, "reg_del2": True, "reg_del2_amplitude": 0.01}},
}


def test_seed_tree_has_every_entry_and_consistent_defaults(seed):
    entries, t = seed
    assert len(entries) == 671 and len(t) == 671
    assert list(t.root.children) == ["io", "scandata", "scan", "engine", "ptycho"]
    assert [c for c in t["engine"].children][:5] == ["DM", "RAAR", "EPIE", "SDR", "ML"]
    # the documented defaults pass their own declarations, links all point somewhere
    assert t.check_declarations() == []
    d = t["engine.DM.fourier_relax_factor"]
    assert (d.type, d.default, d.lowlim) == (["float"], 0.05, 0.0)
    assert t["scandata.PtyScan.rebin"].uplim == 32


def test_seed_tree_resolves_a_moonflower_script(seed):
    _, t = seed
    user = Param(MOONFLOWER)
    t0 = time.perf_counter()
    r = t.resolve(user, root="ptycho")
    ms = (time.perf_counter() - t0) * 1e3
    print(f"resolve of the MoonFlower script on the 671-entry tree: {ms:.1f} ms")
    assert user == Param(MOONFLOWER)                   # input untouched
    e0, e1 = r.engines.engine00, r.engines.engine01
    assert e0.numiter == 80 and e0.fourier_relax_factor == 0.05 and e0.alpha == 1.0
    assert set(e0) == set(t["engine.DM"].children) and e1.ML_type == "gaussian" and e1.reg_del2 is True
    mf = r.scans.MF
    assert mf.name == "BlockFull" and mf.data.name == "MoonFlowerScan" and mf.data.num_frames == 200
    assert set(mf.data) == set(t["scandata.MoonFlowerScan"].children)
    assert set(mf) == set(t["scan.BlockFull"].children)
    assert r.io.interaction.server.port == 5580 and r.io.interaction.server.connections == 10
    assert r.io.interaction.client.connection_timeout == 3600000.0
    assert r.io.autoplot.active is False and r.io.autoplot.interval == 1 and r.frames_per_block == 100000
    assert r.io.rfile == "recons/%(run)s/%(run)s_%(engine)s_%(iterations)04d.ptyr"


def test_seed_tree_reports_ptypys_demonstration_and_more(seed):
    _, t = seed
    p = {"engines": {"e0": {"name": "DM", "numiter": 0, "fourier_relax_factor": -1, "bogus": 3}}}
    with pytest.raises(ParameterError) as ei:
        t.validate(p, root="ptycho")
    assert sorted(i.path for i in ei.value.issues) == [
        "engines.e0.bogus", "engines.e0.fourier_relax_factor", "engines.e0.numiter"]
    # where ptypy says "make sure to specify the .name field" for both, beamkit says which
    issues = t.check({"engines": {"a": {"name": "MLOPR"}, "b": {"numiter": 2}},
                      "scans": {"s": {"name": "BlockFull", "data": {"name": "Bragg3dSimScan"}}}}, root="ptycho")
    by = {i.path: str(i) for i in issues}
    assert "engine 'MLOPR' is not registered" in by["engines.a.name"] and "DM_3dBragg" in by["engines.a.name"]
    assert "no name given" in by["engines.b.name"]
    assert "scandata 'Bragg3dSimScan' is not registered" in by["scans.s.data.name"]
    # numpy integers are integers; bool is not
    assert t.check({"engines": {"e": {"name": "DM", "numiter": np.int64(10)}}}, root="ptycho") == []
    assert len(t.check({"engines": {"e": {"name": "DM", "numiter": True}}}, root="ptycho")) == 1


def test_generated_rst_lists_what_the_seed_lists(seed, tmp_path):
    entries, t = seed
    rst = t.to_rst()
    got = dict(re.findall(r"^\.\. py:data:: (\S+) \((.*)\)$", rst, re.M))
    assert set(got) == {e["path"] for e in entries}
    for e in entries:
        if not e["link"]:
            assert got[e["path"]] == ", ".join(
                {"NoneType": "None", "ndarray": "array"}.get(x.strip(), x.strip()) for x in e["types"].split(","))
    # each leaf's default is printed as the seed prints it
    shown = {}
    for block in rst.split(".. py:data:: ")[1:]:
        m = re.search(r"^   \*default\* = ``(.*)``$", block, re.M)
        if m:
            shown[block.split(" ", 1)[0]] = m[1]
    for e in entries:
        if not e["link"] and e["default"] != "Param({})":
            assert shown[e["path"]] == e["default"], e["path"]
    md = t.to_markdown()
    assert md.count("- **`") == 671 and "`ptycho.engines.engine_00`" in md


# --------------------------------------------------------------------------- reflections face
def test_reflections_tree_defaults_match_find_spots():
    from beamkit.reflections.params import TREE, find_spots_kwargs
    from beamkit.reflections.spotfinder import find_spots

    r = TREE.resolve({})
    sf = r.spotfinder
    assert sf.threshold.algorithm == "dispersion_extended"
    assert TREE["spotfinder.threshold.algorithm"].choices == ["dispersion", "dispersion_extended"]
    disp = sf.threshold.dispersion
    assert (disp.gain, tuple(disp.kernel_size), disp.sigma_background, disp.sigma_strong, disp.min_local,
            disp.global_threshold) == (1.0, (3, 3), 6.0, 3.0, 2, 0.0)
    assert sf.filter == {"min_spot_size": None, "max_spot_size": 1000, "max_separation": 2.0}
    assert sf.mp.nproc == 1
    sig = inspect.signature(find_spots).parameters
    kw = find_spots_kwargs()
    assert kw == {k: sig[k].default for k in kw}
    assert TREE.check_declarations() == []
    kw = find_spots_kwargs({"spotfinder": {"threshold": {"dispersion": {"kernel_size": [2, 2]}}}})
    assert kw["kernel_size"] == (2, 2)
    with pytest.raises(ParameterError) as ei:
        find_spots_kwargs({"spotfinder": {"threshold": {"algorithm": "dispersion_ext",
                                                        "dispersion": {"gain": -1, "sigma_strong": "3"}},
                                          "filter": {"max_spot_sise": 10}}})
    assert sorted(i.path for i in ei.value.issues) == [
        "spotfinder.filter.max_spot_sise", "spotfinder.threshold.algorithm",
        "spotfinder.threshold.dispersion.gain", "spotfinder.threshold.dispersion.sigma_strong"]
    assert "did you mean 'max_spot_size'" in str(ei.value)
    with pytest.raises(ParameterError, match="two integers"):
        find_spots_kwargs({"spotfinder": {"threshold": {"dispersion": {"kernel_size": [1, 2, 3]}}}})


def test_find_spots_runs_with_tree_settings():
    from beamkit.reflections.params import find_spots_kwargs
    from beamkit.reflections.spotfinder import find_spots

    rng = np.random.default_rng(0)
    img = rng.poisson(2.0, (64, 64)).astype(np.int32)
    yy, xx = np.mgrid[:64, :64]
    for cy, cx in ((20, 20), (40, 45)):
        img += (400 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 2.0)).astype(np.int32)
    t = find_spots([img], **find_spots_kwargs({"spotfinder": {"filter": {"min_spot_size": 3}}}))
    assert t.size() == 2


def test_docs_command_writes_reflections_reference(tmp_path):
    from beamkit.demo import write_docs

    written = write_docs(tmp_path / "ref")
    rst = tmp_path / "ref" / "reflections-parameters.rst"
    md = tmp_path / "ref" / "reflections-parameters.md"
    assert str(rst) in written and str(md) in written
    text = rst.read_text()
    assert ".. py:data:: spotfinder.threshold.algorithm (str)" in text
    assert "*choices*: 'dispersion', 'dispersion_extended'" in text
    assert "`spotfinder.filter.max_separation`" in md.read_text()
