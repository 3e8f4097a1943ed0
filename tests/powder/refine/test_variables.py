"""GSAS-II variable names over hand-built dicts in GSAS-II's layout."""
import numpy as np
import pytest

from beamkit.errors import ParameterError
from beamkit.powder import variables as V

PNMA = None


def _pnma():
    import gemmi
    sg = gemmi.SpaceGroup("P n m a")
    ops = sg.operations()
    return {"SpGrp": "P n m a", "SGLaue": "mmm", "SGSys": "orthorhombic",
            "SGCen": [list(np.array(t, float) / 24) for t in ops.cen_ops],
            "SGOps": [[(np.array(o.rot, float) / 24).tolist(), (np.array(o.tran, float) / 24).tolist()]
                      for o in ops.sym_ops]}


def _project():
    sg = _pnma()
    atoms = [["Pb", "Pb", "XU", 0.1875, 0.25, 0.167, 1.0, "m", 4, "I", 0.02] + [0] * 6 + [1],
             ["O3", "O", "", 0.08, 0.03, 0.81, 1.0, "1", 8, "I", 0.017] + [0] * 6 + [2]]
    phase = {"General": {"Name": "PbSO4", "SGData": sg, "AtomPtrs": [3, 1, 7, 9],
                         "Cell": [True, 8.47, 5.39, 6.95, 90.0, 90.0, 90.0, 317.3]},
             "Atoms": atoms,
             "Histograms": {"PWDR a": {"Scale": [1.0, False], "Use": True,
                                       "Size": ["isotropic", [1.0, 1.0, 1.0], [True, False, False], [0, 0, 1], [1] * 6, [False] * 6],
                                       "Mustrain": ["uniaxial", [1000.0, 900.0, 1.0], [False, True, False], [0, 1, 0], [0.01] * 6, [False] * 6],
                                       "HStrain": [[0.0, 0.0, 0.0], [True, False, False]],
                                       "Pref.Ori.": ["MD", 1.0, False, [0, 0, 1], 0, {}, [], 0.1],
                                       "Extinction": [0.0, False],
                                       "Babinet": {"BabA": [0.0, False], "BabU": [0.0, False]}}}}
    hist = {"Instrument Parameters": [{"Type": ["PXC", "PXC", 0], "U": [2.0, 2.0, True], "V": [-2.0, -2.0, False],
                                       "Bank": [1.0, 1.0, False]}, {}],
            "Sample Parameters": {"Scale": [1.0, True], "Shift": [0.0, False], "Type": "Bragg-Brentano"},
            "Background": [["chebyschev-1", True, 3, 1.0, 0.0, 0.0],
                           {"nDebye": 0, "debyeTerms": [], "nPeaks": 1,
                            "peaksList": [[5.0, True, 100.0, False, 2.0, True, 0.1, False]]}]}
    return phase, hist


def test_names_round_trip_and_bad_name():
    assert V.split_name("0::dAx:3") == ("0", "", "dAx", "3")
    assert V.split_name(":0:Back;2") == ("", "0", "Back;2", None)
    assert V.join_name("0", "1", "Mustrain;i") == "0:1:Mustrain;i"
    with pytest.raises(ParameterError):
        V.split_name("Scale")


def test_cell_A_round_trip_triclinic():
    cell = [5.1, 6.2, 7.3, 81.0, 97.0, 102.0]
    A = V.cell_to_A(cell)
    back = V.A_to_cell(A)
    assert np.allclose(back[:6], cell)
    # orthorhombic: A0 = 1/a²
    assert V.cell_to_A([8.0, 5.0, 6.0, 90, 90, 90])[0] == pytest.approx(1 / 64)


def test_site_symmetry_free_coordinates():
    sg = _pnma()
    piv, B = V.free_xyz(sg, [0.1875, 0.25, 0.167])      # 4c on the mirror: y fixed
    assert piv == [0, 2]
    piv, B = V.free_xyz(sg, [0.08, 0.03, 0.81])          # general position
    assert piv == [0, 1, 2]
    cub = {"SGOps": [[[[0, 1, 0], [1, 0, 0], [0, 0, 1]], [0, 0, 0]], [np.eye(3).tolist(), [0, 0, 0]]], "SGCen": [[0, 0, 0]]}
    piv, B = V.free_xyz(cub, [0.2, 0.2, 0.3])            # x,x,z: y follows x
    assert piv == [0, 2] and np.allclose(B[:, 0], [1, 1, 0])


def test_collect_vary_list_and_write_back():
    phase, hist = _project()
    vs = V.collect([(0, phase)], [(0, "PWDR a", hist)])
    vary = vs.vary_list()
    assert vary == ["0::A0", "0::A1", "0::A2", "0::dAx:0", "0::dAz:0", "0::AUiso:0",
                    ":0:Scale", ":0:U", ":0:Back;0", ":0:Back;1", ":0:Back;2",
                    ":0:BkPkpos;0", ":0:BkPksig;0", "0:0:Size;i", "0:0:Mustrain;a", "0:0:D11"]
    assert "0::Ax:0" not in vs and "0::dAy:0" not in vs
    assert vs.lookup("0::Ax:0") is vs["0::dAx:0"]
    vs.set_values(["0::A0", ":0:Back;1", "0:0:Mustrain;a", "0::dAz:1"], [1 / 8.5 ** 2, 3.5, 1234.0, 0.5])
    assert phase["General"]["Cell"][1] == pytest.approx(8.5)
    assert phase["General"]["Cell"][7] == pytest.approx(8.5 * 5.39 * 6.95)
    assert hist["Background"][0][4] == 3.5
    assert phase["Histograms"]["PWDR a"]["Mustrain"][1][1] == 1234.0
    assert phase["Atoms"][1][5] == 0.5
    with pytest.raises(ParameterError, match="did you mean"):
        vs.lookup(":0:Scal")
