"""Powder data and instrument readers on the real GSAS-II tutorial files and on malformed input."""
from __future__ import annotations

import numpy as np
import pytest

from beamkit.errors import FormatError
from beamkit.powder.readers import read_instrument, read_powder
from shared_data import shared_file

GD = ("gsas2-data",)


def test_pbso4_nobs_parity():
    xra = read_powder(shared_file(*GD, "PythonScript", "data", "PBSO4.XRA"), fmthint="GSAS powder")[0]
    cwn = read_powder(shared_file(*GD, "PythonScript", "data", "PBSO4.CWN"))[0]
    assert xra.x.size == 6000 and cwn.x.size == 2918          # nchan - 1 (GSAS-II quirk 8e)
    assert xra.x[0] == pytest.approx(10.0) and xra.x[-1] == pytest.approx(159.975)
    assert cwn.x[-1] == pytest.approx(155.85)
    np.testing.assert_allclose(xra.w[:3], 1 / np.array([179.0, 147.0, 165.0]))
    assert np.all(xra.w[xra.y <= 0] == 0)


def test_fxye_and_comments():
    b = read_powder(shared_file(*GD, "SeqRefine", "data", "OH_00.fxye"))[0]
    assert b.fmt == "FXYE" and b.x.size == 12799
    assert b.x[0] == pytest.approx(0.5) and b.x[1] - b.x[0] == pytest.approx(0.002)
    assert b.w[0] == pytest.approx(1 / 11.584726 ** 2)
    assert b.sample["Temperature"] == pytest.approx(6.778)


def test_xye_weights_rules():
    b = read_powder(shared_file(*GD, "AutoBkg", "data", "test_RampDown-00000.xye"))[0]
    assert b.x[0] == pytest.approx(0.5) and b.y[0] == pytest.approx(2597.34011)
    assert b.w[0] == pytest.approx(1 / 50.964106 ** 2)


def test_xye_rules_synthetic(tmp_path):
    f = tmp_path / "a.xye"
    f.write_text("# header\n! another\n1.0 10 2\n2.0;-5;1\n3.0, 4, -1\n4.0 9\n5.0 9 0\n")
    b = read_powder(f)[0]
    np.testing.assert_allclose(b.x, [1, 2, 4, 5])               # esd < 0 line skipped
    np.testing.assert_allclose(b.y, [10, 0, 9, 9])               # y <= 0 -> 0
    np.testing.assert_allclose(b.w, [0.25, 0, 1 / 9, 1 / 9])     # 1/esd^2, w=0, 1/y, 1/y for esd 0


def test_instrument_files():
    d1a = read_instrument(shared_file(*GD, "PythonScript", "data", "inst_d1a.prm"))["inst"]
    assert d1a["Type"] == "PNC" and d1a["Lam"] == 1.909 and d1a["Zero"] == pytest.approx(-0.001)
    assert (d1a["U"], d1a["V"], d1a["W"]) == (354.031, -760.404, 651.592)
    assert d1a["SH/L"] == 0.002 and d1a["X"] == d1a["Y"] == d1a["Z"] == 0   # quirk 4
    for sub in ("LabData", "PythonScript"):
        x = read_instrument(shared_file(*GD, sub, "data", "INST_XRY.PRM"))
        i = x["inst"]
        assert (i["Type"], i["Lam1"], i["Lam2"], i["I(L2)/I(L1)"], i["Polariz."]) == ("PXC", 1.5405, 1.5443, 0.5, 0.7)
        assert i["SH/L"] == 0.002 and x["sample"]["Type"] == "Bragg-Brentano"
    allp = read_instrument(shared_file(*GD, "PythonScript", "data", "INST_XRY.PRM"), all_prm_terms=True)["inst"]
    assert allp["SH/L"] == pytest.approx(0.03)
    ip = read_instrument(shared_file(*GD, "AutoBkg", "data", "testData.instprm"))["inst"]
    assert ip["Lam"] == 0.69968 and ip["SH/L"] == pytest.approx(0.0264356231583)


def test_correction_code_not_executed(tmp_path):
    src = shared_file(*GD, "docs", "Examples", "CorrectionCode.instprm.sample")
    r = read_instrument(src)
    assert "rd.powderdata" in r["code"] and r["inst"]["Lam"] == 0.72768


def test_multibank_instprm(tmp_path):
    f = tmp_path / "m.instprm"
    f.write_text("#GSAS-II instrument parameter file\n#Bank 1: a\nType:PNT;Bank:1\nfltPath:60\n2-theta:150\n"
                 "difC:10000\n#Bank 2: b\nType:PNT\nBank:2\nfltPath:63.183\n2-theta:90\ndifC:22600.2479192\n")
    b2 = read_instrument(f, bank=2)
    assert b2["bank"] == 2 and b2["inst"]["difC"] == 22600.2479192
    with pytest.raises(FormatError, match="bank 3"):
        read_instrument(f, bank=3)


# --- malformed input: each names the file and the line ----------------------------------
def _copy(src, dst, edit):
    lines = src.read_text(encoding="latin-1").splitlines()
    dst.write_text("\n".join(edit(lines)) + "\n", encoding="latin-1")
    return dst


def test_std_bad_number_names_line(tmp_path):
    src = shared_file(*GD, "PythonScript", "data", "PBSO4.XRA")

    def edit(lines):
        lines[9] = lines[9][:8] + "   1x3.5" + lines[9][16:]
        return lines
    f = _copy(src, tmp_path / "bad.XRA", edit)
    with pytest.raises(FormatError) as e:
        read_powder(f, fmthint="GSAS powder")
    assert e.value.line == 10 and "bad.XRA" in str(e.value)


def test_std_truncated(tmp_path):
    f = _copy(shared_file(*GD, "PythonScript", "data", "PBSO4.CWN"), tmp_path / "t.CWN", lambda l: l[:100])
    with pytest.raises(FormatError, match="truncated") as e:
        read_powder(f, fmthint="GSAS powder")
    assert e.value.line == 100


def test_bad_bank_line(tmp_path):
    f = _copy(shared_file(*GD, "PythonScript", "data", "PBSO4.CWN"), tmp_path / "b.CWN",
              lambda l: [l[0], "BANK 1 2919 292 WRONG 1000 5 0 0"] + l[2:])
    with pytest.raises(FormatError, match="binning") as e:
        read_powder(f, fmthint="GSAS powder")
    assert e.value.line == 2
    f2 = _copy(shared_file(*GD, "PythonScript", "data", "PBSO4.CWN"), tmp_path / "c.CWN",
               lambda l: [l[0], "BANK 1 29x9 292 CONST 1000 5 0 0"] + l[2:])
    with pytest.raises(FormatError) as e:
        read_powder(f2, fmthint="GSAS powder")
    assert e.value.line == 2


def test_fxye_bad_row(tmp_path):
    f = _copy(shared_file(*GD, "SeqRefine", "data", "OH_00.fxye"), tmp_path / "x.fxye",
              lambda l: l[:30] + ["  56.0 nan? 1.0"] + l[31:])
    with pytest.raises(FormatError) as e:
        read_powder(f)
    assert e.value.line == 31
    f = _copy(shared_file(*GD, "SeqRefine", "data", "OH_00.fxye"), tmp_path / "y.fxye",
              lambda l: l[:40] + ["  56.0"] + l[41:])
    with pytest.raises(FormatError) as e:
        read_powder(f)
    assert e.value.line == 41


def test_xye_and_csv_bad_lines(tmp_path):
    f = tmp_path / "a.xye"
    f.write_text("/* head\n*/\n1 2 3\n2 abc 3\n")
    with pytest.raises(FormatError) as e:
        read_powder(f)
    assert e.value.line == 4
    f = tmp_path / "a.csv"
    f.write_text("x,y\n1,2\n2,3\n3\n")
    with pytest.raises(FormatError) as e:
        read_powder(f)
    assert e.value.line == 4
    f = tmp_path / "u.xye"
    f.write_text("/* never closed\n1 2\n")
    with pytest.raises(FormatError, match=r"\*/"):
        read_powder(f)


def test_instprm_and_prm_bad_input(tmp_path):
    f = tmp_path / "a.instprm"
    f.write_text("#GSAS-II instrument parameter file\nType:PXC\nLam:1.5x\n")
    with pytest.raises(FormatError) as e:
        read_instrument(f)
    assert e.value.line == 3
    f.write_text("not it\nType:PXC\n")
    with pytest.raises(FormatError):
        read_instrument(f)
    f.write_text("#GSAS-II instrument parameter file\nType:PQZ\n")
    with pytest.raises(FormatError, match="Type") as e:
        read_instrument(f)
    assert e.value.line == 2
    src = shared_file(*GD, "PythonScript", "data", "inst_d1a.prm")
    g = _copy(src, tmp_path / "b.prm", lambda l: [s.replace("0.354031E+03", "0.35x031E+03") for s in l])
    with pytest.raises(FormatError) as e:
        read_instrument(g)
    assert e.value.line == 8
    h = _copy(src, tmp_path / "c.prm", lambda l: [s for s in l if "ICONS" not in s])
    with pytest.raises(FormatError, match="ICONS"):
        read_instrument(h)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(FormatError):
        read_powder(tmp_path / "nope.xye")
    b = tmp_path / "bin.xye"
    b.write_bytes(b"\x00\x01\x02" * 10)
    with pytest.raises(FormatError):
        read_powder(b)
