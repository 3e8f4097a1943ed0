"""Recipe tables applied to GSAS-II-layout dicts."""
import pytest

from beamkit.errors import ParameterError
from beamkit.powder import recipes as R


def _hist():
    return {"Limits": [(10.0, 160.0), [10.0, 160.0]],
            "Instrument Parameters": [{"Type": ["PXC", "PXC", 0], "U": [2.0, 2.0, False], "V": [-2.0, -2.0, False],
                                       "W": [5.0, 5.0, False], "Zero": [0.0, 0.0, False]}, {}],
            "Sample Parameters": {"Scale": [1.0, True], "Shift": [0.0, False], "DisplaceX": [0.0, False],
                                  "DisplaceY": [0.0, False], "Absorption": [0.0, False], "Type": "Bragg-Brentano"},
            "Background": [["chebyschev-1", False, 3, 1.0, 0.0, 0.0],
                           {"peaksList": [[5.0, False, 10.0, False, 2.0, False, 0.1, False]], "FixedPoints": []}]}


def _phase():
    return {"General": {"Cell": [False, 5, 5, 5, 90, 90, 90, 125], "AtomPtrs": [3, 1, 7, 9]},
            "Atoms": [["Pb", "Pb", "", 0, 0, 0, 1, "1", 1, "I", 0.01], ["O1", "O", "", 0, 0, 0, 1, "1", 1, "I", 0.01]],
            "Histograms": {"PWDR a": _hap()}}


def _hap():
    return {"Scale": [1.0, False], "Use": True, "Show": False, "LeBail": False,
            "Babinet": {"BabA": [0.0, False], "BabU": [0.0, False]}, "Extinction": [0.0, False],
            "Pref.Ori.": ["MD", 1.0, False, [0, 0, 1], 0, {}, [], 0.1], "HStrain": [[0, 0, 0], [False] * 3],
            "Size": ["isotropic", [1.0, 1.0, 1.0], [False] * 3, [0, 0, 1], [1] * 6, [False] * 6],
            "Mustrain": ["isotropic", [1000.0, 1000.0, 1.0], [False] * 3, [0, 0, 1], [0.01] * 6, [False] * 6]}


def test_histogram_table():
    h = _hist()
    R.apply_hist(h, {"Limits": [16, 158.4], "Sample Parameters": ["Shift"], "Instrument Parameters": ["U", "V", "W"],
                     "Background": {"type": "chebyschev", "no. coeffs": 6, "refine": True, "peaks": [[0, True]]}})
    assert h["Limits"][1] == [16.0, 158.4]
    assert h["Sample Parameters"]["Shift"][1] is True
    assert [h["Instrument Parameters"][0][k][2] for k in "UVW"] == [True] * 3
    assert h["Background"][0][:3] == ["chebyschev", True, 6] and len(h["Background"][0]) == 9
    assert h["Background"][1]["peaksList"][0][1:4:2] == [False, True]
    R.apply_hist(h, {"Limits": {"low": 5}})
    assert h["Limits"][1] == [10.0, 158.4]       # clipped to the data range
    R.apply_hist(h, {"Instrument Parameters": ["U"], "Background": {"refine": True}}, "clear")
    assert h["Instrument Parameters"][0]["U"][2] is False and h["Background"][0][1] is False
    R.apply_hist(h, {"Background": {"coeffs": [100.0, 2.0]}})
    assert h["Background"][0][2:] == [2, 100.0, 2.0]
    called = []
    R.apply_hist(h, {"Background": {"FixedPoints": [(20, 5), (30, 6)], "fit fixed points": True}},
                 fit_fixed_points=lambda: called.append(1))
    assert h["Background"][1]["FixedPoints"] == [[20.0, 5.0], [30.0, 6.0]] and called == [1]


@pytest.mark.parametrize("refs,where", [
    ({"Backgrund": True}, "Background"),
    ({"Sample Parameters": ["DisplaceZ"]}, "Displace"),
    ({"Instrument Parameters": ["SH/l"]}, "SH/L"),
    ({"Background": {"no coeffs": 3}}, "no. coeffs"),
    ({"Limits": {"lo": 3}}, "low"),
])
def test_histogram_unknown_keys_suggest(refs, where):
    with pytest.raises(ParameterError, match="did you mean '" + where.replace(".", r"\.")):
        R.apply_hist(_hist(), refs)


def test_phase_table():
    ph = _phase()
    R.apply_phase(ph, {"Cell": True, "Atoms": {"all": "XU"}, "LeBail": True})
    assert ph["General"]["Cell"][0] is True
    assert [a[2] for a in ph["Atoms"]] == ["XU", "XU"]
    assert ph["Histograms"]["PWDR a"]["LeBail"] is True
    R.apply_phase(ph, {"Atoms": {"O1": "U"}}, "clear")
    assert [a[2] for a in ph["Atoms"]] == ["XU", "X"]
    with pytest.raises(ParameterError, match="did you mean 'O1'"):
        R.apply_phase(ph, {"Atoms": {"O11": "X"}})
    with pytest.raises(ParameterError):
        R.apply_phase(ph, {"Atoms": {"all": "XQ"}})


def test_hap_table():
    hap = _hap()
    R.apply_hap(hap, {"Scale": True, "HStrain": True, "Babinet": "BabA", "Extinction": True, "Pref.Ori.": True,
                      "Mustrain": {"type": "uniaxial", "direction": [0, 1, 0], "refine": "equatorial"},
                      "Size": {"type": "isotropic", "refine": True, "value": 0.5}, "Show": True, "Use": True})
    assert hap["Scale"][1] and hap["HStrain"][1] == [True] * 3 and hap["Babinet"]["BabA"][1]
    assert not hap["Babinet"]["BabU"][1] and hap["Extinction"][1] and hap["Pref.Ori."][2]
    assert hap["Mustrain"][0] == "uniaxial" and hap["Mustrain"][3] == [0, 1, 0] and hap["Mustrain"][2][:2] == [True, False]
    assert hap["Size"][1][0] == 0.5 and hap["Size"][2][0] is True
    R.apply_hap(hap, {"Mustrain": {"refine": "axial"}})
    assert hap["Mustrain"][2][:2] == [True, True]
    R.apply_hap(hap, {"HStrain": [True, False, True]})
    assert hap["HStrain"][1] == [True, False, True]
    R.apply_hap(hap, {"Mustrain": {"refine": True}, "Scale": True}, "clear")
    assert hap["Mustrain"][2][:2] == [False, False] and hap["Scale"][1] is False
    with pytest.raises(ParameterError, match="did you mean 'uniaxial'"):
        R.apply_hap(hap, {"Mustrain": {"type": "uniaxal"}})
    with pytest.raises(ParameterError):
        R.apply_hap(hap, {"HStrain": [True]})


def test_split_and_step_checks():
    h, p, hap = R.split_refs({"Limits": [1, 2], "Cell": True, "Mustrain": {"refine": True}, "LeBail": True})
    assert list(h) == ["Limits"] and sorted(p) == ["Cell", "LeBail"] and list(hap) == ["Mustrain"]
    with pytest.raises(ParameterError, match="did you mean 'Mustrain'"):
        R.split_refs({"Mustran": True})
    R.check_step({"set": {"Cell": True}, "skip": True, "histograms": [0], "call": print, "callargs": []})
    with pytest.raises(ParameterError, match="did you mean 'clear'"):
        R.check_step({"claer": {"Cell": True}})
