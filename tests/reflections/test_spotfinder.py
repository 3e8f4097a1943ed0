"""Spot finding (notes/dials.md §6): thresholds, synthetic spots, strong.refl invariants, the real CBF."""
from __future__ import annotations

import numpy as np
import pytest

from shared_data import shared_file
from beamkit.errors import FormatError, ParameterError
from beamkit.reflections import MaskCode, flex
from beamkit.reflections.simulate import simulate_still
from beamkit.reflections.spotfinder import find_spots, image_mask, read_image, trusted_max_from_header
from beamkit.reflections.threshold import box_sum, dispersion, dispersion_extended


def brute_box(a, h):
    H, W = a.shape
    out = np.zeros_like(a)
    for y in range(H):
        for x in range(W):
            out[y, x] = a[max(y - h[0], 0):y + h[0] + 1, max(x - h[1], 0):x + h[1] + 1].sum()
    return out


@pytest.mark.parametrize("shape,half", [((31, 23), (3, 3)), ((9, 40), (5, 1)), ((4, 4), (3, 3))])
def test_box_sum_matches_brute_force(shape, half):
    a = np.random.default_rng(1).integers(-3, 50, shape)
    assert np.array_equal(box_sum(a, half), brute_box(a, half))


def test_threshold_parameters():
    img = np.ones((20, 20), np.int32)
    with pytest.raises(ParameterError, match="min_local"):
        dispersion(img, img > 0, min_local=1)
    with pytest.raises(ParameterError, match="kernel_size"):
        dispersion_extended(img, img > 0, kernel_size=(-1, 3))
    assert not dispersion(img, img > 0).any()  # flat image: nothing strong


def check_strong_table(t, max_sep=2.0):
    """The invariants of a DIALS strong table (notes §6.7, §11)."""
    sb = t["shoebox"]
    assert set(np.unique(sb.mask)) <= {0, 5} and not sb.background.any()
    fg = sb.count_mask_values(MaskCode.Foreground).as_numpy_array()
    assert np.array_equal(fg, t.numpy("n_signal"))
    i, iv, ok = sb.summed_intensity()
    vals = np.where(sb.mask == 5, sb.data, 0).astype(np.float64)
    cs = np.concatenate([[0], np.cumsum(vals)])
    direct = cs[sb.offsets[1:]] - cs[sb.offsets[:-1]]
    np.testing.assert_allclose(t.numpy("intensity.sum.value"), direct, rtol=1e-9)
    np.testing.assert_allclose(i.as_numpy_array(), t.numpy("intensity.sum.value"), rtol=1e-9)
    v, var = sb.centroid_valid()
    np.testing.assert_allclose(v.as_numpy_array(), t.numpy("xyzobs.px.value"), rtol=1e-9)
    np.testing.assert_allclose(var.as_numpy_array(), t.numpy("xyzobs.px.variance"), rtol=1e-9)
    assert np.array_equal(sb.bbox, t.numpy("bbox"))
    sep = np.linalg.norm(sb.peak_coordinates().as_numpy_array() - t.numpy("xyzobs.px.value"), axis=1)
    assert sep.max() <= max_sep
    assert (t.numpy("flags") == 32).all() and (t.numpy("id") == 0).all()
    # rows in (z, y, x) order of their first foreground pixel
    first = np.array([np.argmax(sb[k].mask.as_numpy_array().ravel() == 5) for k in range(min(len(sb), 400))])
    b = sb.bbox[:first.size]
    nx, ny = b[:, 1] - b[:, 0], b[:, 3] - b[:, 2]
    key = np.stack([b[:, 4] + first // (nx * ny), b[:, 2] + (first // nx) % ny, b[:, 0] + first % nx], axis=1)
    assert [tuple(k) for k in key] == sorted(tuple(k) for k in key)


@pytest.mark.parametrize("algorithm,tol", [("dispersion_extended", 0.1), ("dispersion", 0.15)])
def test_synthetic_spots_recovered(algorithm, tol, tmp_path):
    img, pos, _ = simulate_still((400, 400), 49, seed=3, gap_rows=(168,))
    t = find_spots([img], algorithm=algorithm)
    xy = t.numpy("xyzobs.px.value")[:, :2]
    d = np.linalg.norm(xy[:, None, :] - pos[None], axis=2)
    assert t.size() == 49 and d.min(axis=1).max() < 1.0  # no spurious spots
    assert d.min(axis=0).max() < tol                        # every spot, centroid within tol px
    check_strong_table(t)
    out = tmp_path / "strong.refl"
    t.as_file(out)
    back = flex.reflection_table.from_file(out)
    assert back.as_msgpack() == out.read_bytes()
    check_strong_table(back)


def test_sequence_links_frames():
    a, _, _ = simulate_still((200, 200), 16, seed=5)
    b, _, _ = simulate_still((200, 200), 16, seed=5)
    t = find_spots([a, b], first_frame=10)
    assert t.size() == 16
    assert (t.numpy("bbox")[:, 4:] == [10, 12]).all()
    assert np.allclose(t.numpy("xyzobs.px.value")[:, 2], 11.0, atol=0.05)
    s = find_spots([a, b], sequence=False)
    assert s.size() == 32


def test_real_cbf():
    path = shared_file("dials-data", "thaumatin_grid", "thau_3_2_0001.cbf.bz2")
    img, hdr = read_image(path)
    assert img.shape == (2527, 2463) and img.min() == -2 and img.max() == 114000
    assert (img == -1).sum() == 526101 and (img == -2).sum() == 625 and img[img > 0].sum() == 21135765
    hi = trusted_max_from_header(hdr)
    assert hi == 115896
    m = image_mask(img, (0, hi))
    assert m.sum() == img.size - 526101 - 625
    t = find_spots([img], trusted_range=(0, hi))
    assert 100 < t.size() < 2000
    check_strong_table(t)
    c = find_spots([img], algorithm="dispersion", trusted_range=(0, hi))
    assert 50 < c.size() < 2000
    check_strong_table(c)


def test_bad_image(tmp_path):
    p = tmp_path / "x.cbf"
    p.write_bytes(b"###CBF: garbage\n" + b"\x00" * 100)
    with pytest.raises(FormatError):
        read_image(p)


def test_experiment_driven_settings(tmp_path):
    from beamkit.reflections import read_expt
    el = read_expt(shared_file("dials-data", "centroid_test_data", "indexed.expt"))
    e = el[0]
    e.detector[0].d["mask"] = [[0, 60, 0, 400]]  # untrusted rectangle x0, x1, y0, y1 over the first spot column
    a, pos, _ = simulate_still((400, 400), 16, seed=11)
    t = find_spots([a, a], experiment=e)
    assert (t.numpy("bbox")[:, 4] == 0).all() and (t.numpy("bbox")[:, 5] == 2).all()  # one 3-D sequence
    assert t.size() == 12 and (t.numpy("xyzobs.px.value")[:, 0] > 60).all()
    with pytest.raises(ParameterError):
        find_spots(None)
