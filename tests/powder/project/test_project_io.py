"""G2Project building, lookup, HDF5 save/open round trip, .gpx reading through the restricted unpickler."""
from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

import beamkit.powder as G2sc
from beamkit.errors import FormatError, ParameterError
from beamkit.powder.io_project import load_project, save_project
from shared_data import shared_file

GD = ("gsas2-data",)


def _equal(a, b, path="root"):
    assert type(a) is type(b), f"{path}: {type(a)} != {type(b)}"
    if isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            _equal(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _equal(x, y, f"{path}[{i}]")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, path
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b, path


@pytest.fixture
def pbso4_project(tmp_path):
    gpx = G2sc.G2Project(newgpx=str(tmp_path / "p.gpx"))
    ph = gpx.add_phase(str(shared_file(*GD, "PythonScript", "data", "PbSO4-Wyckoff.cif")), phasename="PbSO4",
                       fmthint="CIF")
    gpx.add_powder_histogram(str(shared_file(*GD, "PythonScript", "data", "PBSO4.XRA")),
                             str(shared_file(*GD, "PythonScript", "data", "INST_XRY.PRM")),
                             fmthint="GSAS powder", phases="all")
    gpx.add_powder_histogram(str(shared_file(*GD, "PythonScript", "data", "PBSO4.CWN")),
                             str(shared_file(*GD, "PythonScript", "data", "inst_d1a.prm")), phases=[ph])
    return gpx


def test_project_lookup_and_atoms(pbso4_project):
    gpx = pbso4_project
    h0, h1 = gpx.histograms()
    assert h0.name == "PWDR PBSO4.XRA Bank 1" and h1.id == 1
    assert gpx.histogram(0).name == h0.name == gpx.histogram("PBSO4.XRA Bank 1").name
    assert gpx.histogram(h1.ranId).name == h1.name and gpx.histogram("nope") is None
    assert h0.getdata("x").size == 6000 and h1.getdata("yobs").size == 2918
    assert h0.histType == "PXC" and h1.histType == "PNC" and gpx.histType(0) == "PWDR"
    assert h0.SampleParameters["Type"] == "Bragg-Brentano"
    p = gpx.phase("PbSO4")
    assert gpx.phase(0).name == "PbSO4" and p.histograms() == [h0.name, h1.name]
    assert [a.label for a in p.atoms()] == ["Pb", "S", "O1", "O2", "O3"]
    assert [a.mult for a in p.atoms()] == [4, 4, 4, 4, 8]
    o3 = p.atom("O3")
    assert o3.coordinates == (0.085, 0.026, 0.806) and o3.uiso == 0.01 and o3.adp_flag == 0
    o3.coordinates = (0.08, 0.03, 0.8)
    o3.refinement_flags = "XU"
    assert p.data["Atoms"][4][3:6] == [0.08, 0.03, 0.8] and p.data["Atoms"][4][2] == "XU"
    with pytest.raises(ParameterError):
        o3.refinement_flags = "Q"
    c = p.get_cell()
    assert c["length_a"] == 8.48 and c["volume"] == pytest.approx(318.5027, abs=1e-3)
    cell, esd = p.get_cell_and_esd()
    assert cell == c and esd["length_a"] == 0
    hap = p.data["Histograms"][h0.name]
    assert hap["Scale"] == [1.0, False] and hap["Size"][1] == [1.0, 1.0, 1.0] and len(hap["HStrain"][0]) == 3
    assert hap["Mustrain"][1] == [1000.0, 1000.0, 1.0]
    assert h0.getHistEntryValue(["Sample Parameters", "Type"]) == "Bragg-Brentano"
    h0.setHistEntryValue(["Sample Parameters", "Gonio. radius"], 650.0)
    assert h0.data["Sample Parameters"]["Gonio. radius"] == 650.0
    found = h0.getHistEntryList("gonio")
    assert (["Sample Parameters", "Gonio. radius"], float, 650.0) in found
    assert all(isinstance(t, type) for _, t, _ in h0.getHistEntryList())
    assert ([h0.name, "Scale"], list, [1.0, False]) in p.getHAPentryList(h0.name, "scale")
    assert any(k == ["General", "Name"] for k, _, _ in p.getPhaseEntryList("name"))
    assert p.getHAPentryValue([h0.name, "Scale"]) == [1.0, False]
    p.setHAPentryValue([h0.name, "Scale", 0], 2.0)
    assert hap["Scale"][0] == 2.0
    with pytest.raises(ParameterError):
        h0.getHistEntryValue(["Sample Parameters", "nope"])


def test_save_open_roundtrip(pbso4_project, tmp_path):
    gpx = pbso4_project
    gpx.data["Controls"]["data"]["weird"] = {1: (2, np.float32(3.5)), "__k": [np.int64(4), None, True]}
    fn = gpx.save()
    assert os.path.exists(fn)
    g2 = G2sc.G2Project(fn)
    _equal(gpx.data, g2.data)
    assert g2.histogram(0).getdata("x").size == 6000


def test_interrupted_save_keeps_old_file(pbso4_project, monkeypatch):
    gpx = pbso4_project
    fn = gpx.save()
    before = open(fn, "rb").read()
    gpx.data["Controls"]["data"]["bad"] = object()          # not storable -> fails mid-save
    with pytest.raises(TypeError):
        gpx.save()
    assert open(fn, "rb").read() == before
    del gpx.data["Controls"]["data"]["bad"]
    import h5py
    real = h5py.File.create_dataset if hasattr(h5py.File, "create_dataset") else None
    calls = {"n": 0}

    def boom(self, name, *a, **k):
        calls["n"] += 1
        if calls["n"] > 3:
            raise OSError("disk full")
        return real(self, name, *a, **k)
    monkeypatch.setattr(h5py.Group, "create_dataset", boom)
    with pytest.raises(OSError):
        gpx.save()
    monkeypatch.undo()
    assert open(fn, "rb").read() == before
    assert [f for f in os.listdir(os.path.dirname(fn)) if f.startswith(".")] == []


def test_gpx_read(tmp_path):
    g = G2sc.G2Project(str(shared_file(*GD, "reference", "gpx", "7Konly.gpx")))
    assert [p.name for p in g.phases()] == ["CuCr2O4", "CuO"]
    assert [h.name for h in g.histograms()] == ["PWDR OH_00.fxye Bank 1"]
    cuo = g.phase("CuO")
    assert cuo.get_cell()["angle_beta"] == pytest.approx(99.75114038953757)
    assert [a.label for a in cuo.atoms()] == ["Cu1", "O1"]
    ip = g.histogram(0).InstrumentParameters
    assert ip["Lam"][1] == 0.413263 and ip["Type"][1] == "PXC"
    res = g.histogram(0).residuals
    assert res["wR"] == pytest.approx(13.510133326016899) and res["Nobs"] == 10799
    s = G2sc.G2Project(str(shared_file(*GD, "reference", "gpx", "PbSO4sim.gpx")))
    assert s.phase(0).get_cell()["length_a"] == 8.48
    assert s.histogram(0).InstrumentParameters["U"][1] == 354.031
    # saved as our own HDF5 and re-read unchanged
    g.save(str(tmp_path / "7K.bk.gpx"))
    _equal(g.data, G2sc.G2Project(str(tmp_path / "7K.bk.gpx")).data)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_gpx_refuses_other_classes(tmp_path):
    f = tmp_path / "evil.gpx"
    with open(f, "wb") as fh:
        pickle.dump([["Notebook", []]], fh, protocol=1)
        pickle.dump([["Controls", _Evil()]], fh, protocol=1)
    with pytest.raises(FormatError, match="not allowed"):
        G2sc.G2Project(str(f))
    f2 = tmp_path / "evil2.gpx"
    with open(f2, "wb") as fh:
        pickle.dump([["Controls", {"x": np.arange(3)}]], fh, protocol=1)
        pickle.dump([["Covariance", __import__("collections").OrderedDict()]], fh, protocol=1)
    with pytest.raises(FormatError, match="collections"):
        load_project(f2)


def test_bad_project_files(tmp_path):
    f = tmp_path / "x.gpx"
    f.write_text("hello")
    with pytest.raises(FormatError):
        G2sc.G2Project(str(f))
    with pytest.raises(ParameterError):
        G2sc.G2Project(str(tmp_path / "missing.gpx"))
    import h5py
    with h5py.File(tmp_path / "o.h5", "w") as h:
        h.attrs["format"] = "other"
    with pytest.raises(FormatError, match="not a beamkit"):
        load_project(tmp_path / "o.h5")
    save_project({"a": np.arange(3)}, tmp_path / "ok.h5")
    np.testing.assert_array_equal(load_project(tmp_path / "ok.h5")["a"], np.arange(3))


def test_arrays_api_and_images(tmp_path):
    gpx = G2sc.G2Project(newgpx=str(tmp_path / "a.gpx"))
    x = np.linspace(5, 50, 100)
    h = gpx._add_pwdr_arrays("int1", x, np.ones(100), inst={"Type": "PXC", "Lam": 0.5})
    assert h.name == "PWDR int1" and h.InstrumentParameters["Lam"] == [0.5, 0.5, False]
    assert h.InstrumentParameters["Azimuth"][1] == 0.0 and h.SampleParameters["Type"] == "Debye-Scherrer"
    h2 = gpx._add_pwdr_arrays("int1", x, np.ones(100), inst={"Type": ["PXC", "PXC", 0], "Lam": [0.5, 0.6, False]})
    assert h2.name == "PWDR int1(1)" and h2.InstrumentParameters["Lam"][1] == 0.6
    with pytest.raises(ParameterError):
        gpx._add_pwdr_arrays("bad", x, np.ones(99), inst={"Type": "PXC", "Lam": 0.5})
    with pytest.raises(ParameterError):
        gpx._add_pwdr_arrays("bad", x, np.ones(100), inst={"Type": "PXC"})
    e = gpx._store_image("im1.tif", {"wavelength": 0.5, "center": [1.0, 2.0]}, {"Points": []}, "/tmp/im1.tif")
    assert "IMG im1.tif" in gpx.data and e["Image Controls"]["wavelength"] == 0.5
    gpx.save()
    g2 = G2sc.G2Project(gpx.filename)
    assert g2.data["IMG im1.tif"]["Image Controls"]["center"] == [1.0, 2.0]
    assert g2.names()[-1] == "IMG im1.tif"


def test_cell_esd_from_covariance():
    """Notes §13.2: final A0..A2 and their covariance give esds 0.000177, 0.000116, 0.000154 Å, 0.019 Å³."""
    from beamkit.powder.crystal import A_to_cell
    gpx = G2sc.G2Project(newgpx=None)
    p = gpx.add_phase(str(shared_file(*GD, "PythonScript", "data", "PbSO4-Wyckoff.cif")), phasename="PbSO4")
    A = [0.013926008104882353, 0.03437127402938266, 0.02067648428776077]
    cell = A_to_cell(A + [0.0, 0.0, 0.0])
    p.data["General"]["Cell"][1:7] = [float(v) for v in cell]
    gpx.data["Covariance"]["data"] = {
        "varyList": [":0:Scale", "0::A0", "0::A1", "0::A2"], "variables": [1.0] + A,
        "covMatrix": np.array([[1.0, 0, 0, 0],
                               [0, 3.4021416076478737e-13, 6.503380036460677e-13, 3.8757257645412965e-13],
                               [0, 6.503380036460667e-13, 2.188615918473193e-12, 9.432702164218751e-13],
                               [0, 3.875725764541292e-13, 9.432702164218761e-13, 8.345683193934553e-13]])}
    c, e = p.get_cell_and_esd()
    assert c["length_a"] == pytest.approx(8.473965, abs=2e-6) and c["length_c"] == pytest.approx(6.954432, abs=2e-6)
    assert e["length_a"] == pytest.approx(0.000177, abs=1.5e-6)
    assert e["length_b"] == pytest.approx(0.000116, abs=1.5e-6)
    assert e["length_c"] == pytest.approx(0.000154, abs=1.5e-6)
    assert e["volume"] == pytest.approx(0.019, abs=1e-3) and e["angle_alpha"] == 0.0


def test_gsas_tof_file_conversion(tmp_path):
    """A GSAS FXYE TOF bank: x in µs, moved to bin centres, y/Δx and w·Δx², lower limit at d = 0.4 Å."""
    t = np.round(10000.0 * 1.001 ** np.arange(50), 4)
    y = np.full(50, 100.0)
    e = np.full(50, 10.0)
    f = tmp_path / "tof.fxye"
    f.write_text("TOF test\nBANK 1 50 50 SLOG 10000 11000 0.001 0 FXYE\n" +
                 "".join(f"{a:.4f} {b:.3f} {c:.3f}\n" for a, b, c in zip(t, y, e)))
    ip = tmp_path / "t.instprm"
    ip.write_text("#GSAS-II instrument parameter file\nType:PNT\nfltPath:60\n2-theta:90\ndifC:20000\n")
    g = G2sc.G2Project(newgpx=None)
    h = g.add_powder_histogram(str(f), str(ip))
    x = h.data["data"][1][0]
    dx = np.diff(t)
    np.testing.assert_allclose(x, t[:-1] + dx / 2, rtol=1e-7)
    np.testing.assert_allclose(h.data["data"][1][1], 100.0 / dx, rtol=1e-6)
    np.testing.assert_allclose(h.data["data"][1][2], dx ** 2 / 100.0, rtol=1e-6)
    assert h.Limits[1][0] == pytest.approx(max(x[0], 0.4 * 20000))


def test_save_guards(tmp_path):
    """Read-only files are refused; a GSAS-II .gpx being replaced is kept as .bak0.gpx."""
    src = shared_file(*GD[:1], "reference", "gpx", "PbSO4sim.gpx")
    import shutil
    local = tmp_path / "sim.gpx"
    shutil.copy(src, local)
    os.chmod(local, 0o644)
    g = G2sc.G2Project(str(local))
    g.save()
    assert (tmp_path / "sim.bak0.gpx").read_bytes() == src.read_bytes()
    assert G2sc.G2Project(str(local)).phase(0).name == "PbSO4"          # now our HDF5 file
    g.save()
    assert not (tmp_path / "sim.bak1.gpx").exists()                     # our own format: no backup
    os.chmod(local, 0o444)
    before = local.read_bytes()
    with pytest.raises(ParameterError, match="read-only"):
        g.save()
    assert local.read_bytes() == before
    ro = tmp_path / "ro"
    ro.mkdir()
    os.chmod(ro, 0o555)
    try:
        with pytest.raises(ParameterError, match="writable folder"):
            g.save(str(ro / "x.gpx"))
    finally:
        os.chmod(ro, 0o755)


def test_multibank_data_file(tmp_path):
    """A two-bank GSAS file: databank picks one, multiple=True reads both (instbank follows the data bank)."""
    body = "".join(f"{100 * (10 + 0.1 * i):.1f} {100 + i} 10\n" for i in range(20))
    f = tmp_path / "two.fxye"
    f.write_text("two banks\nBANK 1 20 20 CONS 1000 10 0 0 FXYE\n" + body +
                 "BANK 2 20 20 CONS 1000 10 0 0 FXYE\n" + body.replace(" 10\n", " 5\n"))
    ip = tmp_path / "two.instprm"
    ip.write_text("#GSAS-II instrument parameter file\n#Bank 1: a\nType:PXC\nLam:1.5\n#Bank 2: b\nType:PXC\nLam:0.7\n")
    g = G2sc.G2Project(newgpx=None)
    h2 = g.add_powder_histogram(str(f), str(ip), databank=2)
    assert h2.name == "PWDR two.fxye Bank 2" and h2.InstrumentParameters["Lam"][1] == 0.7
    assert h2.data["data"][1][2][0] == pytest.approx(1 / 25)
    hs = g.add_powder_histogram(str(f), str(ip), multiple=True)
    assert [h.name for h in hs] == ["PWDR two.fxye Bank 1", "PWDR two.fxye Bank 2(1)"]
    assert [h.InstrumentParameters["Lam"][1] for h in hs] == [1.5, 0.7]
