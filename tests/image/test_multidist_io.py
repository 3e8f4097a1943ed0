"""Multi-distance calibration, multi-image files (HDF5), CBF/EDF reading and metadata."""
import numpy as np
import pytest

from beamkit.errors import FormatError, ParameterError
from beamkit.image import simulate as S
from beamkit.image.g2image import G2Image, _IMAGE_CACHE, new_image_entry
from beamkit.image.io_images import Frame, read_images
from beamkit.image.project import add_image, image_multi_dist_calib
from shared_data import shared_file


class Images(list):
    """A minimal project: a list of images."""

    def images(self):
        return list(self)


def _sim_image(dist, center, seed):
    true = S.demo_controls(distance=dist, center=center, size=[400, 400])
    data = S.simulate_calibrant(true, seed=seed)
    img = G2Image(new_image_entry(Frame(data, {"pixelSize": true["pixelSize"]}, f"sim{dist}", 0, 1)),
                  f"IMG sim{dist}")
    _IMAGE_CACHE[img.data["ranId"]] = data
    return img, true


def test_multi_distance_recovers_wavelength():
    proj = Images()
    truths = []
    for dist, cen, seed in ((250.0, [40.1, 41.3], 1), (300.0, [39.7, 40.6], 2)):
        img, true = _sim_image(dist, cen, seed)
        img.setControls({k: true[k] for k in ("calibrant", "calibdmin", "pixLimit", "cutoff", "tilt",
                                               "rotation", "distance")})
        img.setControls({"wavelength": 0.2004, "center": [cen[0] + 0.2, cen[1] - 0.2]})
        img.setVary("*", False)
        img.setVary(["det-X", "det-Y", "phi", "tilt", "wave"], True)
        proj.append(img)
        truths.append(true)
    for _ in range(3):
        result, cov = image_multi_dist_calib(proj, verbose=False)
    assert result["wave"] == pytest.approx(0.2, rel=2e-4)
    assert set(cov["varyList"]) == {"wave", "tilt", "phi", "det-X0", "det-Y0", "det-X1", "det-Y1"}
    assert cov["covMatrix"].shape == (7, 7) and cov["obs"] > 1000
    for img, true in zip(proj, truths):
        assert np.allclose(img.getControl("center"), true["center"], atol=0.01)
        assert img.getControl("wavelength") == result["wave"]
        img.clearImageCache()
    with pytest.raises(ParameterError):
        image_multi_dist_calib(Images(), verbose=False)


def test_hdf5_multi_image(tmp_path):
    import h5py
    p = tmp_path / "stack.h5"
    with h5py.File(p, "w") as fh:
        d = fh.create_dataset("entry/data/data", data=np.arange(3 * 20 * 30, dtype="u2").reshape(3, 20, 30))
        d.attrs["wavelength"] = 0.5
    imgs = add_image(None, p)
    assert [i.name for i in imgs] == [f"IMG stack.h5 #{k:04d}" for k in range(3)]
    assert imgs[2].getControl("wavelength") == 0.5
    assert imgs[2].raw_image[0, 0] == 1200
    assert [i.name for i in add_image(None, p, indexList=[1])] == ["IMG stack.h5 #0001"]
    with pytest.raises(FormatError, match="index"):
        add_image(None, p, indexList=[5])
    empty = tmp_path / "empty.h5"
    with h5py.File(empty, "w") as fh:
        fh.create_dataset("x", data=np.arange(4))
    with pytest.raises(FormatError, match="2-D or 3-D"):
        read_images(empty)


def test_edf_and_cbf(tmp_path):
    import fabio.edfimage
    p = tmp_path / "a.edf"
    fabio.edfimage.EdfImage(data=np.ones((8, 9), "f4")).write(str(p))
    fr = read_images(p)
    assert len(fr) == 1 and fr[0].data.shape == (8, 9)
    from fabio.edfimage import EdfImage, Frame as EdfFrame
    e = EdfImage(data=np.zeros((5, 6), "f4"))
    e.append_frame(EdfFrame(data=np.ones((5, 6), "f4")))
    e.write(str(tmp_path / "two.edf"))
    imgs = add_image(None, tmp_path / "two.edf")
    assert [i.name for i in imgs] == ["IMG two.edf #0000", "IMG two.edf #0001"]
    imgs[1].clearImageCache()
    assert imgs[1].raw_image.sum() == 30.0          # re-read from the file, frame 1
    cbf = shared_file("dials-data")
    files = sorted(cbf.rglob("*.cbf*"))
    if not files:
        pytest.skip("no CBF in dials-data")
    img = G2Image.from_file(files[0])
    assert img.raw_image.ndim == 2 and img.getControl("size")[0] == img.raw_image.shape[1]


def test_mar_metadata():
    fr = read_images(shared_file("gsas2-data", "2DStrain", "data", "nx09_strain_001.mar2300"), "MAR")[0]
    assert fr.meta["pixelSize"] == [150.0, 150.0]
    assert fr.meta["distance"] == pytest.approx(100.0)
    assert fr.meta["center"] == pytest.approx([172.5, 172.5])
