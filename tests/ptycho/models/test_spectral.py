"""ptypy's multispectral scan model (coherence.energies): one geometry per relative energy on a
shared object pixel, probe and object shared (achromatic), intensities summed per frame."""
import numpy as np
import pytest

from beamkit.errors import ParameterError
from beamkit.ptycho.engines import DM
from beamkit.ptycho.engines.base import farfield_curve
from beamkit.ptycho.models import make_model
from beamkit.ptycho.models.scanmodel import spectral_propagator


def _moment(I):
    y = np.arange(I.shape[0]) - I.shape[0] // 2
    return float(np.sqrt((I.sum(axis=1) * y ** 2).sum() / I.sum()))


def test_each_energy_scales_the_diffraction_pattern():
    """At half the energy (twice the wavelength) a beam diffracts twice as wide on the detector."""
    N, ps, lam, z, dps = 64, 50e-9, 1e-10, 5.0, 172e-6
    ps = lam * z / (N * dps)                       # the base energy's natural pixel
    x = np.arange(N) - N // 2
    beam = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * 6.0 ** 2)).astype(np.complex64)
    prop = spectral_propagator("farfield", (N, N), np.array([ps, ps]), np.array([dps, dps]), z, lam, [1.0, 0.5], 1,
                               None, "k")
    F = prop.fw(np.stack([beam, beam])[None])[0]
    I = np.abs(np.fft.fftshift(F, axes=(-2, -1))) ** 2
    assert prop.props[1].crop_pad == (N, N)          # λ/(2·...) : the frame is padded to 2N
    assert _moment(I[1]) / _moment(I[0]) == pytest.approx(2.0, rel=0.03)
    np.testing.assert_allclose(I[0].sum(), I[1].sum(), rtol=1e-4)     # both unitary on the beam


def test_two_energy_data_reconstruct_with_the_spectral_model(sim):
    N = sim["data"].shape[-1]
    energies = [1.0, N / (N + 4)]               # the second energy's frame is padded by exactly 4 px
    poly = make_model("Full", {"coherence": {"energies": energies}}).build(sim["data"], sim["positions"], sim["meta"])
    assert poly.pods.K == 2 and list(poly.pods.probe_modes) == [0, 0] and farfield_curve(poly) is None
    assert [p.crop_pad for p in poly.prop.props] == [(0, 0), (4, 4)]
    # data made independently: per energy, ptypy's phase factor at that wavelength, the frame padded
    # centrally to N/f px, a centred unitary FFT, the central N detector pixels; intensities summed
    from beamkit.ptycho.data.illumination import farfield_phase
    O, P = sim["object"], sim["probe"]
    lam, dist, ps = poly.meta["wavelength"], poly.meta["distance"], float(poly.obj.psize[0])
    ex = np.stack([P * O[y:y + N, x:x + N] for y, x in sim["corners"]])
    data = 0
    for f in energies:
        M = int(round(N / f))
        w = ex * farfield_phase((N, N), ps, lam / f, dist)
        w = np.pad(w, ((0, 0), ((M - N) // 2,) * 2, ((M - N) // 2,) * 2))
        F = np.fft.fftshift(np.fft.fft2(np.fft.ifftshift(w, axes=(-2, -1)), norm="ortho"), axes=(-2, -1))
        c = (M - N) // 2
        data = data + np.abs(F[:, c:c + N, c:c + N]) ** 2
    errs = {}
    for name, pars in (("mono", {}), ("poly", {"coherence": {"energies": energies}})):
        blk = make_model("Full", pars).build(data, sim["positions"], sim["meta"])
        off = np.asarray(sim["corners"][0]) - blk.views.corners[0]
        Ly, Lx = blk.obj.shape[-2:]
        blk.obj.data[0] = O[off[0]:off[0] + Ly, off[1]:off[1] + Lx]      # start from the truth
        blk.probe.data[0] = P
        info = DM([blk], dict(numiter=5, probe_support=None, fourier_relax_factor=0.0)).run()
        errs[name] = (info[0]["error"][0], info[-1]["error"][0])
    # only the two-energy model explains two-energy data with the true object and probe
    assert errs["poly"][0] < 1e-6 * errs["mono"][0] and errs["poly"][1] < 1e-3 * errs["mono"][0]
    assert errs["mono"][0] > 1.0
    with pytest.raises(ParameterError, match="object_dispersion"):
        make_model("Full", {"coherence": {"energies": energies, "object_dispersion": "linear"}}).build(
            sim["data"], sim["positions"], sim["meta"])
    with pytest.raises(ParameterError, match="energies"):
        make_model("Full", {"coherence": {"energies": [1.0, -1.0]}}).build(sim["data"], sim["positions"], sim["meta"])


def test_spectral_geometries_and_errors_name_their_parameter(sim):
    """Each energy's geometry reports its own propagation and misfit (near field stays near field);
    an energy that leaves no FFT frame names coherence.energies."""
    from beamkit.ptycho.manager import Geo
    N = sim["data"].shape[-1]
    far = make_model("Full", {"coherence": {"energies": [1.0, N / (N + 4)]}}).build(sim["data"], sim["positions"], sim["meta"])
    g = [Geo(far, e) for e in range(2)]
    assert [x.propagation for x in g] == ["farfield", "farfield"] and list(g[1].p.misfit) == [4, 4]
    near = make_model("Full", {"propagation": "nearfield", "coherence": {"energies": [1.0, 1.2]}}).build(
        sim["data"], sim["positions"], sim["meta"])
    assert near.prop.kind == "nearfield-polychromatic" and Geo(near, 1).propagation == "nearfield"
    with pytest.raises(ParameterError, match="coherence.energies"):
        make_model("Full", {"coherence": {"energies": [1.0, 50.0]}}).build(sim["data"], sim["positions"], sim["meta"])
