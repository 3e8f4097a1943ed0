"""beamkit.core.params: Param values, declarations, wildcards, links, validation, resolve, files."""
from __future__ import annotations

import copy
import json
import pickle
import time

import numpy as np
import pytest

from beamkit.core.params import DescriptorTree, Param
from beamkit.errors import FormatError, ParameterError, ParameterIssue


# --------------------------------------------------------------------------- fixtures
def make_tree() -> DescriptorTree:
    """A small ptypy-shaped tree: io server/client, two engines, two scan models, data loaders."""
    t = DescriptorTree("mini")
    t.declare("io.interaction.server.active", type="bool", default=True, help="switch")
    t.declare("io.interaction.server.port", type="int", default=5560, lowlim=0, uplim=65535, help="port")
    t.declare("io.interaction.server.address", type="str", default="tcp://127.0.0.1")
    t.declare("io.interaction.client.port", type="int", default=5560)
    t.declare("engine.DM.name", type="str", default="DM")
    t.declare("engine.DM.numiter", type="int", default=123, lowlim=1, help="iterations")
    t.declare("engine.DM.alpha", type="float", default=1.0, lowlim=0.0, uplim=1.0)
    t.declare("engine.DM.fourier_relax_factor", type="float", default=0.05, lowlim=0.0)
    t.declare("engine.DM.subpix", type="str", default="linear", choices=["fourier", "linear"])
    t.declare("engine.DM.position_refinement", type="Param, bool", default=False)
    t.declare("engine.DM.position_refinement.start", type="int, None", default=None)
    t.declare("engine.DM.position_refinement.amplitude", type="float", default=1e-6)
    t.declare("engine.ML.name", type="str", default="ML")
    t.declare("engine.ML.numiter", type="int", default=20, lowlim=1)
    t.declare("engine.ML.ML_type", type="str", default="gaussian", choices=["gaussian", "poisson", "euclid"])
    t.declare("scandata.MoonFlowerScan.name", type="str", default="MoonFlowerScan")
    t.declare("scandata.MoonFlowerScan.num_frames", type="int", default=100, lowlim=1)
    t.declare("scandata.MoonFlowerScan.shape", type="int, tuple", default=128)
    t.declare("scandata.QuickScan.name", type="str", default="QuickScan")
    t.declare("scandata.QuickScan.density", type="float", default=0.05)
    for model in ("Full", "BlockFull"):
        t.declare(f"scan.{model}.name", type="str", default=model)
        t.declare(f"scan.{model}.data", type="@scandata.*", default="MoonFlowerScan")
        t.declare(f"scan.{model}.propagation", type="str", default="farfield", choices=["farfield", "nearfield"])
        t.declare(f"scan.{model}.resample", type="int, None", default=1, lowlim=1)
    t.declare("ptycho.verbose_level", type="str, int", default="ERROR")
    t.declare("ptycho.frames_per_block", type="int", default=100000, lowlim=1)
    t.declare("ptycho.io.home", type="file", default="./")
    t.declare("ptycho.io.rfile", type="str, None", default="recons/%(run)s.ptyr")
    t.declare("ptycho.io.interaction.active", type="bool", default=True)
    t.declare("ptycho.io.interaction.server", type="@io.interaction.server", help="link to the server tree")
    t.declare("ptycho.io.interaction.client", type="@io.interaction.client")
    t.declare("ptycho.io.benchmark", type="str, None", default=None, choices=["all"])
    t.declare("ptycho.scans", type="Param", help="container of scans")
    t.declare("ptycho.scans.*", type="@scan.*", help="one scan")
    t.declare("ptycho.engines", type="Param")
    t.declare("ptycho.engines.*", type="@engine.*", help="one engine")
    return t


@pytest.fixture()
def tree():
    return make_tree()


def paths(issues):
    return sorted(i.path for i in issues)


# --------------------------------------------------------------------------- Param
def test_param_attribute_and_item_access():
    p = Param()
    p.engines = Param()
    p.engines.engine_00 = {"name": "DM"}
    p.engines.engine_00.numiter = 100
    assert p["engines"]["engine_00"]["numiter"] == 100
    assert type(p.engines.engine_00) is Param
    p["io"] = {"home": "/tmp", "sub": {"x": 1}}
    assert p.io.home == "/tmp" and isinstance(p.io.sub, Param) and p.io.sub.x == 1
    with pytest.raises(AttributeError):
        p.missing
    with pytest.raises(KeyError):
        p["missing"]
    assert "missing" not in p and not hasattr(p, "other")
    del p.io
    assert "io" not in p
    with pytest.raises(AttributeError):
        del p.io
    assert "engines" in dir(p)
    q = Param({"a": {"b": {"c": 1}}}, d={"e": 2})
    assert isinstance(q.a.b, Param) and q.d.e == 2
    assert repr(Param(a=1)) == "Param({'a': 1})"
    q |= {"f": {"g": 1}}
    assert isinstance(q.f, Param) and isinstance((Param() | {"h": {}}).h, Param)
    assert isinstance(q.setdefault("s", {"t": 1}), Param)


def test_param_copy_depth():
    p = Param(a=1, b=Param(c=2, d=Param(e=3)))
    s = p.copy()
    assert s.b is p.b
    d1 = p.copy(depth=1)
    assert d1.b is not p.b and d1.b.d is p.b.d
    d9 = p.copy(99)
    d9.b.d.e = 7
    assert p.b.d.e == 3


def test_param_update_like_ptypy():
    p = Param(a=1, b=Param(c=2, d=3))
    p.update({"b": {"c": 5}})
    assert p.b == {"c": 5} and isinstance(p.b, Param)          # shallow: sub-tree replaced
    p = Param(a=1, b=Param(c=2, d=3))
    p.update({"b": {"c": 5}}, in_place_depth=99)
    assert p.b == {"c": 5, "d": 3}                             # deep merge
    p.update({"a": None}, in_place_depth=99)
    assert p.a is None                                         # None overwrites
    p.update([("z", {"y": 1})], Convert=True)
    assert isinstance(p.z, Param)
    p.update(k=2)
    assert p.k == 2
    q = Param(x=Param(y=Param(z=1, w=2)))
    q.deep_update({"x": {"y": {"z": 9}}})
    assert q.x.y == {"z": 9, "w": 2}


def test_param_copy_pickle_and_plain():
    p = Param(a=Param(b=[1, 2]), c=np.float32(1.5))
    for q in (copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert q == p and isinstance(q.a, Param)
        q.a.b.append(3)
        assert p.a.b == [1, 2]
    plain = p.to_dict()
    assert type(plain["a"]) is dict and plain["c"] == 1.5 and type(plain["c"]) is float
    assert type(p._to_dict(Recursive=True)["a"]) is dict


# --------------------------------------------------------------------------- declarations
def test_declare_and_descriptor_fields(tree):
    d = tree["engine.DM.numiter"]
    assert (d.path, d.name, d.type, d.default, d.lowlim, d.uplim, d.help) == (
        "engine.DM.numiter", "numiter", ["int"], 123, 1, None, "iterations")
    assert tree["engine.DM"].children["numiter"] is d
    assert "engine.DM" in tree and "engine.XX" not in tree
    assert tree["ptycho.engines"].is_wildcard and tree["ptycho.engines.*"].is_multi_link
    assert tree["ptycho.io.interaction.server"].is_link and not tree["ptycho.io.interaction.server"].is_multi_link
    assert [t.name for t in tree["ptycho.engines.*"].targets()] == ["DM", "ML"]
    with pytest.raises(ParameterError, match="did you mean 'numiter'"):
        tree["engine.DM.numiterr"]
    with pytest.raises(ParameterError, match="unknown type"):
        tree.declare("x.y", type="integer-ish")
    with pytest.raises(ParameterError, match="did you mean 'lowlim'"):
        tree.declare("x.y", type="int", lowlimit=0)
    # redeclaring changes only the options given
    tree.declare("engine.DM.numiter", default=50)
    assert tree["engine.DM.numiter"].lowlim == 1 and tree["engine.DM.numiter"].default == 50
    # type inferred from the default
    assert tree.declare("x.flag", default=True).type == ["bool"]
    assert tree.declare("x.size", default=(1, 2)).type == ["tuple", "list"]
    assert tree.check_declarations() == []
    tree.declare("x.bad", type="int", default=-1, lowlim=0)
    tree.declare("x.dangling", type="@nowhere.at.all")
    assert paths(tree.check_declarations()) == ["x.bad", "x.dangling"]
    cyc = DescriptorTree()
    cyc.declare("a", type="@b")
    cyc.declare("b", type="@a")
    assert paths(cyc.check_declarations()) == ["a", "b"]
    assert "link cycle" in str(cyc.check({"a": {}})[0])
    with pytest.raises(ParameterError, match="link cycle"):
        cyc.make_default()
    assert len(tree) > 40


def test_make_default(tree):
    d = tree.make_default("ptycho")
    assert d.scans == {} and d.engines == {}                 # wildcards stay empty
    assert d.io.interaction.server == {"active": True, "port": 5560, "address": "tcp://127.0.0.1"}
    assert d.io.interaction.client == {"port": 5560}
    assert tree["engine.DM"].make_default().position_refinement is False
    assert tree["scan.Full"].make_default().data == {"name": "MoonFlowerScan", "num_frames": 100, "shape": 128}
    assert tree["ptycho"].make_default(depth=1).io == {}
    d.io.interaction.server.port = 1
    assert tree.make_default("ptycho").io.interaction.server.port == 5560


# --------------------------------------------------------------------------- validation
def test_type_rules(tree):
    ok = {"engines": {"e": {"name": "DM", "numiter": np.int64(10), "alpha": np.float32(0.5)}},
          "frames_per_block": np.uint16(5), "verbose_level": 3, "io": {"home": "/x", "rfile": None}}
    assert tree.check(ok, root="ptycho") == []
    bad = {"engines": {"e": {"name": "DM", "numiter": True, "alpha": "0.5", "fourier_relax_factor": 1}},
           "frames_per_block": 2.0, "verbose_level": 1.5, "io": {"home": None}}
    issues = tree.check(bad, root="ptycho")
    assert paths(issues) == ["engines.e.alpha", "engines.e.numiter", "frames_per_block", "io.home",
                             "verbose_level"]
    by = {i.path: i for i in issues}
    assert "bool" in by["engines.e.numiter"].message and by["engines.e.numiter"].expected == "int"
    assert by["engines.e.numiter"].got is True and by["verbose_level"].expected == "str or int"
    assert "None is not allowed" in by["io.home"].message
    (txt,) = tree.check({"engines": {"e": {"name": "DM", "alpha": "1e-3"}}}, root="ptycho")
    assert "looks like a number" in txt.message and txt.got == "1e-3"
    # a container that may be None (ptypy's 'Param, NoneType' entries) and one that may be a bool
    t = DescriptorTree()
    t.declare("div", type="Param, None")
    t.declare("div.power", type="float", default=0.1)
    t.declare("pr", type="Param, bool", default=False)
    t.declare("pr.start", type="int, None", default=None)
    assert t.check({"div": None, "pr": True}) == [] and t.check({"div": {"power": 1}, "pr": {"start": 3}}) == []
    assert t.resolve({"div": None}).div is None and t.resolve({}).div == {"power": 0.1}
    assert t.resolve({}).pr is False and t.resolve({"pr": {}}).pr == {"start": None}
    assert paths(t.check({"div": 3, "pr": "yes"})) == ["div", "pr"]
    # tuple and list are interchangeable; int accepted for float
    t = DescriptorTree()
    t.declare("a", type="tuple", default=(1, 2))
    t.declare("b", type="float", default=1.0)
    t.declare("c", type="array", default=None)
    t.declare("d", type="complex", default=1j)
    assert t.check({"a": [3, 4], "b": 2, "c": np.zeros(3), "d": 2.0}) == []
    assert paths(t.check({"a": "xy", "b": 1 + 2j, "c": "no", "d": True})) == ["a", "b", "c", "d"]


def test_limits_inclusive_elementwise_and_choices(tree):
    good = {"engines": {"a": {"name": "DM", "numiter": 1, "alpha": 0.0}, "b": {"name": "DM", "alpha": 1.0}},
            "io": {"interaction": {"server": {"port": 65535}}, "benchmark": "all"}}
    assert tree.check(good, root="ptycho") == []
    bad = {"engines": {"a": {"name": "DM", "numiter": 0, "alpha": 1.0000001, "subpix": "cubic"}},
           "io": {"interaction": {"server": {"port": -1}}, "benchmark": "some"}}
    by = {i.path: i for i in tree.check(bad, root="ptycho")}
    assert set(by) == {"engines.a.numiter", "engines.a.alpha", "engines.a.subpix",
                       "io.interaction.server.port", "io.benchmark"}
    assert by["engines.a.numiter"].expected == ">= 1" and by["engines.a.numiter"].got == 0
    assert by["engines.a.alpha"].expected == "in [0.0, 1.0]"
    assert "choices" in by["engines.a.subpix"].message and "'linear'" in by["engines.a.subpix"].expected
    t = DescriptorTree()
    t.declare("v", type="tuple, list", default=(1, 2), lowlim=0, uplim=10)
    t.declare("m", type="list", default=["a"], choices=["a", "b"])
    t.declare("f", type="float", default=1.0, lowlim=0)
    assert t.check({"v": [0, 10], "m": ["a", "b"]}) == []
    assert paths(t.check({"v": (3, 11), "m": ["a", "c"], "f": float("nan")})) == ["f", "m", "v"]


def test_unknown_keys_get_suggestions(tree):
    issues = tree.check({"engines": {"e0": {"name": "DM", "numiterr": 3}}, "io": {"hoem": "x"}, "scanz": {}},
                        root="ptycho")
    by = {i.path: str(i) for i in issues}
    assert set(by) == {"engines.e0.numiterr", "io.hoem", "scanz"}
    assert "did you mean 'numiter'" in by["engines.e0.numiterr"]
    assert "did you mean 'home'" in by["io.hoem"] and "did you mean 'scans'" in by["scanz"]
    (far,) = tree.check({"io": {"zzzz": 1}}, root="ptycho")
    assert far.expected == "a key among: home, rfile, interaction, benchmark" and far.got == 1


def test_add_child_copies_a_shared_subtree(tree):
    tree.declare("shared.illumination.aperture.size", type="float", default=1e-6, lowlim=0.0)
    tree.declare("shared.illumination.photons", type="float, None", default=None)
    for model in ("Full", "BlockFull"):
        tree.add_child(f"scan.{model}", tree["shared.illumination"])
    d = tree["scan.Full.illumination.aperture.size"]
    assert d.path == "scan.Full.illumination.aperture.size" and d.lowlim == 0.0
    tree.declare("scan.Full.illumination.photons", default=1e8)      # the copy is independent
    assert tree["scan.BlockFull.illumination.photons"].default is None
    r = tree.resolve({"scans": {"a": {"name": "Full", "illumination": {"aperture": {"size": 2e-6}}}}},
                     root="ptycho")
    assert r.scans.a.illumination == {"aperture": {"size": 2e-6}, "photons": 1e8}
    assert [d.path for d in tree.descendants("shared")] == [
        "shared.illumination", "shared.illumination.aperture", "shared.illumination.aperture.size",
        "shared.illumination.photons"]


def test_wildcard_names_and_links(tree):
    p = {"scans": {"MF": {"name": "BlockFull", "data": {"name": "QuickScan", "density": 0.1}}},
         "engines": {"e0": {"name": "DMM"}, "e1": {"numiter": 3}, "e2": {"name": "ML", "bogus": 1}}}
    by = {i.path: i for i in tree.check(p, root="ptycho")}
    assert set(by) == {"engines.e0.name", "engines.e1.name", "engines.e2.bogus"}
    msg = str(by["engines.e0.name"])
    assert "'DMM'" in msg and "not registered" in msg and "DM, ML" in msg and "did you mean 'DM'" in msg
    assert "no name given" in by["engines.e1.name"].message
    # a nested multi-target link inside a scan model: data.name chooses the loader
    issues = tree.check({"scans": {"a": {"name": "Full", "data": {"name": "QuickScan", "num_frames": 3}}}},
                        root="ptycho")
    assert paths(issues) == ["scans.a.data.num_frames"]
    issues = tree.check({"scans": {"a": {"name": "Full", "data": {"name": "Nope"}}}}, root="ptycho")
    assert "known scandatas: MoonFlowerScan, QuickScan" in str(issues[0])
    # a class registered later is picked up by the multi-target link
    tree.declare("engine.EPIE.alpha", type="float", default=1.0)
    assert tree.check({"engines": {"x": {"name": "EPIE", "alpha": 0.5}}}, root="ptycho") == []
    # link target given as a non-mapping
    assert paths(tree.check({"io": {"interaction": {"server": 5}}}, root="ptycho")) == ["io.interaction.server"]


def test_three_bad_values_in_a_yaml_file_give_one_error(tree, tmp_path):
    f = tmp_path / "run.yaml"
    f.write_text(
        "frames_per_block: 0\n"
        "io:\n"
        "  home: ./out\n"
        "  interaction:\n"
        "    server:\n"
        "      port: 99999\n"
        "engines:\n"
        "  engine_00:\n"
        "    name: DM\n"
        "    numiter: 'many'\n", encoding="utf-8")
    p = Param.load(f)
    with pytest.raises(ParameterError) as ei:
        tree.validate(p, root="ptycho")
    err = ei.value
    assert len(err.issues) == 3 and all(isinstance(i, ParameterIssue) for i in err.issues)
    assert paths(err.issues) == ["engines.engine_00.numiter", "frames_per_block", "io.interaction.server.port"]
    text = str(err)
    assert text.startswith("3 bad parameters")
    for needle in ("engines.engine_00.numiter", "expected int", "'many'", "frames_per_block", ">= 1",
                   "got 0", "io.interaction.server.port", "in [0, 65535]", "got 99999"):
        assert needle in text
    with pytest.raises(ParameterError):
        tree.resolve(p, root="ptycho")


def test_validate_passes_and_root_must_be_mapping(tree):
    tree.validate({"engines": {"e": {"name": "ML"}}}, root="ptycho")
    assert paths(tree.check(5, root="ptycho")) == ["ptycho"]
    assert tree.check({1: {"name": "DM"}}, root="ptycho.engines")[0].message == "keys must be strings"


# --------------------------------------------------------------------------- resolve
def test_resolve_fills_defaults_and_never_mutates(tree):
    user = Param()
    user.scans = {"MF": {"name": "BlockFull", "data": {"name": "MoonFlowerScan", "num_frames": 50}}}
    user.engines = {"e0": {"name": "DM", "numiter": 10, "position_refinement": {"start": 2}},
                    "e1": {"name": "ML"}}
    user.io = {"interaction": {"server": {"port": 6000}}, "rfile": None}
    before = copy.deepcopy(user)
    r = tree.resolve(user, root="ptycho")
    assert user == before and set(user.engines.e1) == {"name"}
    assert r.engines.e0 == {"name": "DM", "numiter": 10, "alpha": 1.0, "fourier_relax_factor": 0.05,
                            "subpix": "linear", "position_refinement": {"start": 2, "amplitude": 1e-6}}
    assert r.engines.e1 == {"name": "ML", "numiter": 20, "ML_type": "gaussian"}
    assert r.scans.MF == {"name": "BlockFull", "data": {"name": "MoonFlowerScan", "num_frames": 50,
                                                         "shape": 128},
                          "propagation": "farfield", "resample": 1}
    assert r.io.interaction.server == {"active": True, "port": 6000, "address": "tcp://127.0.0.1"}
    assert r.io.rfile is None and r.io.home == "./" and r.frames_per_block == 100000
    assert isinstance(r.engines.e0.position_refinement, Param)
    # the result shares nothing mutable with the input
    r.engines.e0.position_refinement.start = 99
    assert user.engines.e0.position_refinement.start == 2
    arr = np.arange(3)
    t = DescriptorTree()
    t.declare("a", type="array", default=None)
    out = t.resolve({"a": arr})
    out.a[0] = 7
    assert arr[0] == 0
    assert tree.resolve(None, root="ptycho") == tree.make_default("ptycho")
    # a name-chosen target that declares no 'name' entry still gets it in the result
    tree.declare("engine.EPIE.alpha", type="float", default=1.0)
    assert tree.resolve({"engines": {"x": {"name": "EPIE"}}}, root="ptycho").engines.x == {
        "alpha": 1.0, "name": "EPIE"}


def test_resolve_on_a_ptypy_sized_tree():
    """~600 declared entries with wildcard children (the time is printed, not asserted)."""
    t = make_tree()
    for e in range(12):
        for k in range(40):
            t.declare(f"engine.E{e}.p{k}", type="float", default=float(k), lowlim=0.0)
        t.declare(f"engine.E{e}.sub.a", type="int", default=1)
    for k in range(60):
        t.declare(f"ptycho.io.extra.x{k}", type="str", default="v")
    assert len(t) >= 600
    user = {"engines": {f"e{i}": {"name": f"E{i % 12}", "p3": 1.0} for i in range(4)},
            "scans": {"a": {"name": "Full"}, "b": {"name": "BlockFull"}}}
    t.resolve(user, root="ptycho")
    t0 = time.perf_counter()
    n = 5
    for _ in range(n):
        r = t.resolve(user, root="ptycho")
    per = (time.perf_counter() - t0) / n
    assert r.engines.e1.p39 == 39.0 and len(r.engines.e3) == 42
    print(f"resolve of a {len(t)}-entry tree: {per * 1e3:.2f} ms")


# --------------------------------------------------------------------------- INI / docstrings
INI = """
[numiter]
default = 20
type = int
lowlim = 1
help = Total number of iterations
doc = Number of iterations to run.
  A second line of the doc.

[probe_update_start]
default = 2
type = int
lowlim = 0
userlevel = 1
help = First iteration that updates the probe

[alpha]
default = 1.
type = float
lowlim = 0.0
uplim = 1.0
help = Mixing parameter

[ML_type]
default = 'gaussian'
type = str
choices = ['gaussian', 'poisson', 'euclid']
help = Likelihood model

[overlap]
default =
type = Param
help = Overlap constraint options

[overlap.converge_factor]
default = 0.05
type = float
help = Convergence factor

[name]
default = DM
type = str
help = Engine name

[scale]
default = None
type = float, None
help = Optional scale

[shape]
default = (64, 64)
type = tuple, list
help = Shape
"""


def test_parse_defaults(tree):
    ds = tree.parse_defaults("engine.X", INI)
    assert len(ds) == 9
    n = tree["engine.X.numiter"]
    assert (n.default, n.type, n.lowlim, n.help) == (20, ["int"], 1, "Total number of iterations")
    assert n.doc == "Number of iterations to run.\nA second line of the doc."
    assert isinstance(n.lowlim, int) and tree["engine.X.alpha"].lowlim == 0.0
    assert tree["engine.X.probe_update_start"].userlevel == 1
    assert tree["engine.X.ML_type"].choices == ["gaussian", "poisson", "euclid"]
    assert tree["engine.X.ML_type"].default == "gaussian" and tree["engine.X.name"].default == "DM"
    assert tree["engine.X.scale"].default is None and tree["engine.X.shape"].default == (64, 64)
    d = tree["engine.X"].make_default()
    assert d.overlap == {"converge_factor": 0.05} and d.alpha == 1.0
    assert tree.check_declarations() == []
    assert tree.check({"engines": {"e": {"name": "X", "alpha": 2.0, "ML_type": "bogus"}}}, root="ptycho")


@pytest.mark.parametrize("text, line, needle", [
    ("default = 1\n", 1, "before the first"),
    ("[a]\ndefault = 1\ntype = int\nhelp = h\ndoc = first line\nsecond line not indented\n", 6, "indented"),
    ("[a]\ndefault = 1\ntype = int\nhelp = h\ndoc = first line\npattern in :py:data:`x`\n", 6, "unknown declaration key"),
    ("[a]\ndefault = 1\ntype = int\ndefualt = 2\n", 4, "unknown declaration key"),
    ("[a]\ndefault = 1\ntype = integr\n", 1, "bad value"),
    ("[a]\ndefault = 1\ntype = int\nlowlim = zero\n", 1, "bad value"),
    ("[a]\ndefault = 1\n[a]\ndefault = 2\n", 3, "a"),
    ("[a]\ntype = int\nuplim = 1e400\n", 1, "bad value"),
    ("[b]\ndefault = 1\n[a..b]\ndefault = 1\n", 3, "bad section"),
])
def test_parse_defaults_errors_name_the_line(tree, text, line, needle):
    with pytest.raises(FormatError) as ei:
        tree.parse_defaults("engine.Y", text, source="decl.ini")
    assert ei.value.path == "decl.ini" and ei.value.line == line and needle in str(ei.value)


def test_parse_doc_decorator_bases_first(tree):
    @tree.parse_doc("engine.Base")
    class Base:
        """A base engine.

        Defaults:

        [numiter]
        default = 10
        type = int
        lowlim = 1
        help = Iterations

        [beta]
        default = 0.5
        type = float
        help = Relaxation
        """

    @tree.parse_doc("engine.Child")
    class Child(Base):
        """A child engine overriding one default.

        Defaults:

        [numiter]
        default = 30

        [gamma]
        default = True
        type = bool
        help = Extra switch
        """

    assert Base.DEFAULT == {"numiter": 10, "beta": 0.5}
    assert Child.DEFAULT == {"numiter": 30, "beta": 0.5, "gamma": True}
    assert tree["engine.Child.numiter"].lowlim == 1 and tree["engine.Child.numiter"].help == "Iterations"
    assert Child._descriptor() is tree["engine.Child"]
    assert isinstance(Child.DEFAULT, Param)
    with pytest.raises(FormatError) as ei:
        @tree.parse_doc("engine.Broken")
        class Broken:
            """Broken.

            Defaults:

            [a]
            default = 1
            colour = red
            """
    assert "colour" in str(ei.value) and ei.value.line == 7 and "Broken" in ei.value.path


# --------------------------------------------------------------------------- files
@pytest.mark.parametrize("ext", [".yaml", ".yml", ".json"])
def test_load_save_round_trip(tmp_path, ext):
    p = Param(engines={"e0": {"name": "DM", "numiter": np.int64(5), "shape": (3, 4), "alpha": np.float32(0.5)}},
              io={"home": "./", "rfile": None, "flag": np.bool_(True)}, arr=np.arange(3))
    f = p.save(tmp_path / f"p{ext}")
    q = Param.load(f)
    assert isinstance(q.engines.e0, Param)
    assert q.engines.e0 == {"name": "DM", "numiter": 5, "shape": [3, 4], "alpha": 0.5}
    assert q.io == {"home": "./", "rfile": None, "flag": True} and q.arr == [0, 1, 2]
    assert not list(tmp_path.glob(".p*"))          # no temporary left behind
    if ext == ".json":
        assert json.loads(f.read_text())["engines"]["e0"]["numiter"] == 5


def test_save_is_atomic(tmp_path, monkeypatch):
    f = tmp_path / "p.yaml"
    Param(a=1).save(f)
    with pytest.raises(ParameterError):
        Param(a=object()).save(f)
    assert Param.load(f) == {"a": 1}


@pytest.mark.parametrize("name, text, line", [
    ("bad.yaml", "a: 1\nb: [1, 2\nc: 3\n", 3),
    ("bad.yml", "a:\n  b: 1\n c: 2\n", 3),
    ("bad.json", '{"a": 1,\n "b": }\n', 2),
    ("bad2.json", '{"a": 1}\n{"b": 2}\n', 2),
])
def test_malformed_files_name_file_and_line(tmp_path, name, text, line):
    f = tmp_path / name
    f.write_text(text)
    with pytest.raises(FormatError) as ei:
        Param.load(f)
    assert ei.value.path == str(f) and ei.value.line == line and name in str(ei.value)


def test_load_rejects_non_mapping_unknown_extension_and_unsafe_yaml(tmp_path):
    f = tmp_path / "list.yaml"
    f.write_text("- 1\n- 2\n")
    with pytest.raises(FormatError, match="not a mapping"):
        Param.load(f)
    g = tmp_path / "evil.yaml"
    g.write_text("a: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(FormatError):
        Param.load(g)
    with pytest.raises(ParameterError, match=".yaml"):
        Param.load(tmp_path / "p.ini")
    h = tmp_path / "empty.yaml"
    h.write_text("")
    assert Param.load(h) == {}
    b = tmp_path / "bin.json"
    b.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(FormatError, match="UTF-8"):
        Param.load(b)


# --------------------------------------------------------------------------- docs
def test_generated_docs(tree):
    rst = tree.to_rst()
    md = tree.to_markdown()
    assert ".. py:data:: engine.DM.numiter (int)" in rst and "*default* = ``123``" in rst
    assert "*range*: >= 1 (inclusive)" in rst
    assert ".. py:data:: ptycho.engines.engine_00 (@engine.*)" in rst
    assert ":py:data:`engine.DM`" in rst and "*Wildcard*" in rst
    assert ".. py:data:: ptycho.scans.scan_00 (@scan.*)" in rst
    assert "*choices*: 'fourier', 'linear'" in rst
    assert rst.count(".. py:data::") == len(tree)
    assert "- **`engine.DM.numiter`** (int): iterations" in md
    assert "`ptycho.engines.engine_00`" in md and "chosen by `name` among: `engine.DM`, `engine.ML`" in md
    assert md.count("- **`") == len(tree)
    sub = tree.to_rst(root="engine")
    assert "engine.DM.numiter" in sub and "ptycho" not in sub
