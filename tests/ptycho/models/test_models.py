import numpy as np
import pytest

from beamkit.errors import ParameterError
from beamkit.ptycho.core import Container, Storage, Views
from beamkit.ptycho.engines import DM
from beamkit.ptycho.engines.kernels import bin_frames, gather, scatter_add, unbin_frames
from beamkit.ptycho.models import FarFieldPropagator, NearFieldPropagator, make_model


def test_propagators_are_unitary_and_invertible():
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(3, 2, 16, 16)) + 1j * rng.normal(size=(3, 2, 16, 16))).astype(np.complex64)
    for prop in (FarFieldPropagator((16, 16)), NearFieldPropagator((16, 16), 50e-9, 1e-3, 1e-10)):
        y = prop.fw(x)
        np.testing.assert_allclose(np.linalg.norm(y), np.linalg.norm(x), rtol=1e-5)
        np.testing.assert_allclose(prop.bw(y), x, atol=1e-4)
    # near field over zero distance is the identity
    np.testing.assert_allclose(NearFieldPropagator((16, 16), 50e-9, 0.0, 1e-10).fw(x), x, atol=1e-5)


def test_nearfield_kernel_is_ptypys_and_shared_with_the_simulation():
    """The reconstruction's near-field propagator uses ptypy's exact angular-spectrum kernel
    (BasicNearfieldPropagator: a² = (λq)², exp(2πi·z/λ·(√(1 − a²) − 1))), the same one the
    simulation propagates with."""
    from beamkit.ptycho.data.illumination import nearfield
    N, res, z, lam = 32, 20e-9, 2e-3, 5e-10
    V = np.fft.fftfreq(N) * N * (lam / N / res)           # ptypy: grids(sh, λ/(shape·resolution), 'fft')
    a2 = V[:, None] ** 2 + V[None, :] ** 2
    ref = np.exp(2j * np.pi * (z / lam) * (np.sqrt(1 - a2) - 1))
    prop = NearFieldPropagator((N, N), res, z, lam)
    np.testing.assert_allclose(prop.kernel, ref, atol=2e-6)
    x = np.exp(-((np.arange(N) - N // 2) ** 2)[:, None] / 20.0 - ((np.arange(N) - N // 2) ** 2)[None, :] / 30.0) + 0j
    np.testing.assert_allclose(prop.fw(x.astype(np.complex64)), nearfield(x, z, lam, res), atol=1e-5)


@pytest.mark.parametrize("crop_pad_", [(4, 4), (-4, -4), (6, -2)])
def test_farfield_misfit_propagator_is_ptypys_and_adjoint(crop_pad_):
    """A forced object pixel pads (or crops) the real-space frame to N + crop_pad, FFTs and keeps
    the central N detector frequencies (ptypy's BasicFarfieldPropagator with misfit); bw is fw's adjoint."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 16, 16)) + 1j * rng.normal(size=(3, 16, 16))
    y = rng.normal(size=(3, 16, 16)) + 1j * rng.normal(size=(3, 16, 16))
    prop = FarFieldPropagator((16, 16), crop_pad=crop_pad_)
    assert prop.fft_shape == (16 + crop_pad_[0], 16 + crop_pad_[1])
    np.testing.assert_allclose(np.vdot(prop.fw(x), y), np.vdot(x, prop.bw(y)), rtol=1e-10)

    from beamkit.ptycho.utils_array import crop_pad           # ptypy's u.crop_pad: planes added in total
    M = prop.fft_shape
    ref = np.fft.fftshift(np.fft.fft2(np.fft.ifftshift(crop_pad(x, list(crop_pad_)), axes=(-2, -1)), norm="ortho"),
                          axes=(-2, -1))
    ref = crop_pad(ref, [-c for c in crop_pad_])
    got = np.fft.fftshift(prop.fw(x), axes=(-2, -1))
    # beamkit transforms the centred frame without ifftshift: a factor exp(iπ·k·2(M//2)/M) per axis
    k = np.fft.fftshift(np.fft.fftfreq(16) * 16)
    ramp = np.exp(1j * np.pi * (k[:, None] * 2 * (M[0] // 2) / M[0] + k[None, :] * 2 * (M[1] // 2) / M[1]))
    np.testing.assert_allclose(got, ref * ramp, atol=1e-9)


def test_forced_resolution_builds_and_reconstructs(sim):
    natural = make_model("Full").build(sim["data"], sim["positions"], sim["meta"])
    same = make_model("Full", {"resolution": float(natural.obj.psize[0])}).build(sim["data"], sim["positions"], sim["meta"])
    assert same.prop.crop_pad == (0, 0) and same.obj.shape == natural.obj.shape
    fine = make_model("Full", {"resolution": float(natural.obj.psize[0]) * 32 / 36}).build(
        sim["data"], sim["positions"], sim["meta"])
    assert fine.prop.crop_pad == (4, 4) and fine.probe.shape[-2:] == (32, 32)
    np.testing.assert_allclose(fine.obj.psize, natural.obj.psize * 32 / 36)
    assert fine.obj.shape[-1] > natural.obj.shape[-1]
    info = DM([fine], dict(numiter=40, probe_support=None)).run()
    assert info[-1]["error"][0] < 0.2 * info[0]["error"][0]
    with pytest.raises(ParameterError, match="resolution"):
        make_model("Full", {"resolution": -1.0}).build(sim["data"], sim["positions"], sim["meta"])
    with pytest.raises(ParameterError, match="resolution"):
        make_model("Full", {"resolution": 1e-8, "resample": 2}).build(sim["data"], sim["positions"], sim["meta"])


def test_views_gather_scatter_match_slices():
    s = Storage("S00", np.arange(2 * 20 * 22).reshape(2, 20, 22).astype(np.complex64), psize=1.0, center=(0, 0))
    v = Views(s, [[3.0, 4.0], [10.2, 12.6]], (6, 6))
    assert v.corners.tolist() == [[0, 1], [7, 10]] and np.allclose(v.subpix[1], [0.2, -0.4])
    g = gather(s.data, v.flat)
    np.testing.assert_array_equal(g[1, 1], s.data[1, 7:13, 10:16])
    out = scatter_add(np.ones((2, 2, 6, 6), np.float32), v.flat, s.shape)
    out2 = scatter_add(np.ones((2, 2, 6, 6), np.float32), v.flat, s.shape, v.scatter_matrix())
    assert out.sum() == 2 * 2 * 36 and np.array_equal(out, out2)
    c = Container("Cobj")
    c.new_storage("S00", s.data.copy())
    assert c.S["S00"].shape == (2, 20, 22) and len(c) == 1
    np.testing.assert_allclose(s.origin, [0, 0])


def test_binning_round_trip():
    a = np.random.default_rng(1).random((2, 8, 8)).astype(np.float32)
    b = bin_frames(a, 2)
    assert b.shape == (2, 4, 4)
    np.testing.assert_allclose(b.sum(), a.sum(), rtol=1e-5)
    u = unbin_frames(b, 2)
    np.testing.assert_allclose(bin_frames(u, 2), 4 * b, rtol=1e-5)


def test_modes_opr_and_resample_build_and_run(sim):
    blk = make_model("Full", {"coherence": {"num_probe_modes": 2, "num_object_modes": 1}}).build(
        sim["data"], sim["positions"], sim["meta"])
    assert blk.probe.shape == (2, 32, 32) and blk.pods.K == 2
    p0 = (np.abs(blk.probe.data) ** 2).sum(axis=(1, 2))
    assert 0.05 < p0[1] / p0[0] < 0.2                      # diversity power 0.1
    info = DM([blk], dict(numiter=30, probe_support=None)).run()
    assert info[-1]["error"][0] < 0.1 * info[0]["error"][0]
    opr = make_model("OPRModel", {}).build(sim["data"], sim["positions"], sim["meta"])
    assert opr.probe.shape == (len(sim["data"]), 32, 32)
    from beamkit.ptycho.engines import DMOPR
    info = DMOPR([opr], dict(numiter=20, probe_support=None, subspace_dim=2)).run()
    assert np.all(np.isfinite(opr.probe.data)) and info[-1]["error"][0] < info[0]["error"][0]
    rs = make_model("Full", {"resample": 2}).build(sim["data"], sim["positions"], sim["meta"])
    assert rs.probe.shape == (1, 64, 64) and rs.diff.shape[-1] == 32
    info = DM([rs], dict(numiter=15, probe_support=None)).run()
    assert info[-1]["error"][0] < info[0]["error"][0]


def test_model_errors():
    with pytest.raises(ParameterError, match="BlockFull"):
        make_model("Bogus")
    with pytest.raises(ParameterError):
        make_model("Full", {"propagation": "sideways"}).build(np.ones((2, 8, 8)), np.zeros((2, 2)), {})
    with pytest.raises(ParameterError):
        make_model("Full").build(np.ones((2, 8, 8)), np.zeros((3, 2)), {})


def test_cupy_backend_is_optional():
    from beamkit.ptycho.models import get_backend
    try:
        import cupy  # noqa: F401
    except Exception:
        with pytest.raises(ParameterError, match="cupy"):
            get_backend("cupy")
        assert get_backend("auto").name == "numpy"
    else:  # pragma: no cover - only on GPU machines
        assert get_backend("cupy").name == "cupy"
