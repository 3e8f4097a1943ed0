"""Object storage size and view corners as ptypy sets them (issue 8).

ptypy rounds each view's pixel coordinate in the frame whose origin is the physical zero of
the positions, then grows the storage to the tight box around all views (plus padding).
"""
import numpy as np
import pytest

from beamkit.ptycho import benchdata
from beamkit.ptycho.models import make_model
from beamkit.ptycho.models.scanmodel import object_geometry

from shared_data import shared_file


def _meta_for_psize(N, psize):
    """Far-field meta whose object pixel is ``psize`` m for ``N``-pixel frames."""
    return dict(psize=172e-6, distance=psize * N * 172e-6 / 1.2398419843320026e-10, energy=10.0)


def test_rounding_in_the_absolute_frame_sets_the_size():
    # pixel coordinates 0.4 and 1.6 round to 0 and 2 (span 2); relative to the minimum they
    # would be 0 and 1.2 -> 1 (span 1). ptypy's rule gives N + 2.
    N, ps = 8, 1e-7
    pos = np.array([[0.4, 0.4], [1.6, 1.6]]) * ps
    center, shape = object_geometry(pos, ps, (N, N))
    assert shape == (N + 2, N + 2)
    np.testing.assert_array_equal(center, [N // 2, N // 2])
    blk = make_model("Full").build(np.ones((2, N, N), np.float32), pos, _meta_for_psize(N, ps))
    np.testing.assert_allclose(blk.obj.psize, ps, rtol=1e-9)
    assert blk.obj.shape[-2:] == (N + 2, N + 2)
    np.testing.assert_array_equal(blk.views.corners, [[0, 0], [2, 2]])
    # odd view shape: low edge d - N//2, high edge d + (N+1)//2; padding on every side
    center, shape = object_geometry(pos, ps, (7, 9), pad_px=3)
    assert shape == (7 + 2 + 6, 9 + 2 + 6)
    np.testing.assert_array_equal(center, [3 + 3, 4 + 3])
    # negative positions: +1e-5 breaks exact halves upwards, as in ptypy
    center, shape = object_geometry(np.array([[-0.5, -1.5], [0.5, 0.5]]) * ps, ps, (4, 4))
    assert shape == (4 + 1, 4 + 2)
    assert object_geometry(np.zeros((0, 2)), ps, (4, 4), pad_px=1) == (pytest.approx([3, 3]), (6, 6))


@pytest.mark.parametrize("model", ["BlockFull", "GradFull"])
def test_moonflower_storage_and_corners_match_ptypy(model):
    folder = shared_file("ptypy-data", "moonflower161.ptyd").parent
    blk, truth = benchdata.load_block(folder, model)
    # ptypy's reconstruction storage on this benchmark is 492 x 492 (notes/ptypy.md 6.1)
    assert blk.obj.shape[-2:] == (492, 492)
    c = blk.views.corners
    assert c.min(axis=0).tolist() == [0, 0] and (c.max(axis=0) + 128).tolist() == [492, 492]
    # ptypy's corner of frame i: round(position_px + 1e-5), shifted so the first view starts at 0
    r = np.round(truth["position_px"][blk.indices] + 1e-5).astype(int)
    np.testing.assert_array_equal(c, r - r.min(axis=0))
    # notes 6.3: simulated corner minus ptypy's view corner takes four values, one pixel apart,
    # with 32, 39, 40 and 50 frames
    off, counts = np.unique(truth["corner_px"][blk.indices] - c, axis=0, return_counts=True)
    assert len(off) == 4 and np.ptp(off, axis=0).tolist() == [1, 1]
    assert sorted(counts.tolist()) == [32, 39, 40, 50]
    # the README's placement: corner = round((pos - origin) / psize - 64) in the storage's frame
    pos = truth["position_px"][blk.indices] * truth["pixel_size_m"]
    np.testing.assert_array_equal(c, np.round((pos - blk.obj.origin) / blk.obj.psize - 64).astype(int))
