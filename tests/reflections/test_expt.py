""".expt JSON against the real files (notes/dials.md §5, §11) and the geometry built on it."""
from __future__ import annotations

import json

import numpy as np
import pytest

from shared_data import shared_file
from beamkit.errors import FormatError
from beamkit.reflections import ExperimentListFactory, flex, read_expt

EXPT = ["centroid_test_data/indexed.expt", "MyD88_processed/imported.expt", "l_cysteine_narrow_wedge/11_integrated.expt",
        "ssx_CuNiR_test_data/indexed.expt", "ssx_CuNiR_test_data/imported_with_ref_5.expt",
        "vmxi_thaumatin_grid_index/split_07602.expt"]


def dd(name):
    return shared_file("dials-data", *name.split("/"))


@pytest.mark.parametrize("name", EXPT)
def test_round_trip_identical(name, tmp_path):
    el = ExperimentListFactory.from_json_file(dd(name))
    out = tmp_path / "x.expt"
    el.as_file(out)
    assert out.read_text() == dd(name).read_text()


def test_models_centroid():
    el = read_expt(dd("centroid_test_data/indexed.expt"))
    e = el[0]
    assert e.identifier == "d6c88837-e8dd-467f-beff-356887317c56"
    a, b, c, al, be, ga = e.crystal.get_unit_cell()
    assert (a, b, c) == pytest.approx((42.21, 42.21, 39.69), abs=0.01)
    assert (al, be, ga) == pytest.approx((90, 90, 90), abs=1e-6)
    assert e.crystal.get_space_group_hall_symbol() == " P 4 2"
    assert e.scan.get_image_range() == (1, 9) and e.scan.get_oscillation() == (0.0, 0.2)
    assert e.detector[0].get_image_size() == (2463, 2527)  # Pilatus 6M
    assert e.detector[0].get_trusted_range()[0] == 0.0
    assert np.linalg.norm(e.beam.get_s0()) == pytest.approx(1 / e.beam.get_wavelength())
    assert e.imageset.paths((1, 2))[1].endswith("centroid_0002.cbf")


def test_ssx_stills():
    el = read_expt(dd("ssx_CuNiR_test_data/indexed.expt"))
    assert len(el) == 5 and len(el.crystals()) == 5 and len(el.beams()) == 1
    assert all(e.scan is None and e.goniometer is None for e in el)
    assert el[0].imageset.to_dict()["__id__"] == "ImageSet"
    el5 = read_expt(dd("ssx_CuNiR_test_data/imported_with_ref_5.expt"))
    assert len(el5) == 5 and el5[0].imageset.to_dict()["__id__"] == "ImageSequence"


def test_reciprocal_space_mapping():
    el = read_expt(dd("centroid_test_data/indexed.expt"))
    t = flex.reflection_table.from_file(dd("centroid_test_data/indexed.refl"))
    t.centroid_px_to_mm(el)
    t.map_centroids_to_reciprocal_space(el)
    ind = t.get_flags(t.flags.indexed).as_numpy_array()
    pred = t.numpy("miller_index")[ind] @ el[0].crystal.get_A().T
    res = np.linalg.norm(t.numpy("rlp")[ind] - pred, axis=1)
    assert np.median(res) < 1e-3  # notes §3.2: 7e-4 against median |rlp| 0.41
    assert np.median(np.linalg.norm(t.numpy("rlp")[ind], axis=1)) == pytest.approx(0.41, abs=0.01)
    s1 = t.numpy("s1")[t.numpy("id") >= 0]
    assert np.allclose(np.linalg.norm(s1, axis=1), 1 / el[0].beam.get_wavelength())
    d = t.compute_d(el).as_numpy_array()[ind]
    assert d.min() > 1.0 and d.max() < 45


def test_bad_expt(tmp_path):
    p = tmp_path / "bad.expt"
    p.write_text('{"__id__": "ExperimentList", "experiment": [')
    with pytest.raises(FormatError, match="line"):
        read_expt(p)
    p.write_text(json.dumps({"__id__": "ExperimentList", "experiment": [{"beam": 3}], "beam": []}))
    with pytest.raises(FormatError, match="experiment\\[0\\].beam"):
        read_expt(p)
    p.write_text("[1, 2]")
    with pytest.raises(FormatError):
        read_expt(p)
