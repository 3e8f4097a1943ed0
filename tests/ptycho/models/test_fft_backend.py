"""The numpy backend's FFT library: FFTW (pyfftw) where it imports, scipy.fft on request."""
import numpy as np
import pytest

from beamkit.ptycho.models import propagation as prop


def test_fftw_single_frames_and_batches_equal_scipy(monkeypatch):
    pytest.importorskip("pyfftw")
    be = prop.Backend("numpy")
    assert be.fft_library == "pyfftw"
    rng = np.random.default_rng(1)
    one = (rng.normal(size=(128, 96)) + 1j * rng.normal(size=(128, 96))).astype(np.complex64)
    many = (rng.normal(size=(5, 2, 64, 64)) + 1j * rng.normal(size=(5, 2, 64, 64))).astype(np.complex64)
    import scipy.fft as sf
    for a in (one, many):
        F = be.fft2(a)
        assert F.dtype == np.complex64 and F.shape == a.shape
        np.testing.assert_allclose(F, sf.fft2(a, norm="ortho"), rtol=0, atol=2e-5 * np.abs(F).max())
        np.testing.assert_allclose(be.ifft2(F), a, rtol=0, atol=2e-5 * np.abs(a).max())
    # a single-frame plan's output buffer is reused by the next call: results must be copies
    F1 = be.fft2(one)
    F2 = be.fft2(2 * one)
    np.testing.assert_allclose(F2, 2 * F1, rtol=0, atol=1e-4 * np.abs(F2).max())


def test_scipy_on_request(monkeypatch):
    monkeypatch.setenv("BEAMKIT_FFT", "scipy")
    be = prop.Backend("numpy")
    assert be.fft_library == "scipy"
    a = np.ones((8, 8), np.complex64)
    assert be.fft2(a)[0, 0] == pytest.approx(8.0)
