"""The 13-parameter equaliser as RBJ Audio EQ Cookbook biquads (Bristow-Johnson), in numpy
and in torch from the same formulas, so the evaluation, the benchmarks, the scripts and
training design the same filters the engine does (Sources/EQDSP).

Layout (SAFE-DB): low shelf (g1, f1), three peaks (g, f, Q), high shelf (g5, f5); shelves
use SHELF_Q. Everything broadcasts: parameters [..., 13] give responses [..., len(freqs)].
"""
from __future__ import annotations

import math

import numpy as np

from .parameters import BANDS, SHELF_Q

KINDS = ("lowshelf", "peak", "highshelf")


def design(kind: str, frequency_hz, gain_db, q, fs: float, xp=np, nyquist_fraction: float | None = None):
    """Normalised coefficients (b0, b1, b2, a1, a2) of one section (a0 == 1).

    `xp` is the array module (numpy or torch); arguments broadcast. `nyquist_fraction`
    clamps the frequency to that fraction of the sample rate first (None: no clamp).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown section kind {kind!r}")
    f = frequency_hz
    if nyquist_fraction is not None:
        f = np.minimum(f, nyquist_fraction * fs) if xp is np else f.clamp(max=nyquist_fraction * fs)
    amp = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * math.pi * f / fs
    cos_w, sin_w = xp.cos(w0), xp.sin(w0)
    alpha = sin_w / (2.0 * q)
    if kind == "peak":
        b0, b1, b2 = 1.0 + alpha * amp, -2.0 * cos_w, 1.0 - alpha * amp
        a0, a1, a2 = 1.0 + alpha / amp, -2.0 * cos_w, 1.0 - alpha / amp
    else:
        # The high shelf is the low shelf with the cosine terms mirrored (sign -1).
        s = 1.0 if kind == "lowshelf" else -1.0
        k = 2.0 * xp.sqrt(amp) * alpha
        ap1, am1 = amp + 1.0, amp - 1.0
        b0 = amp * (ap1 - s * am1 * cos_w + k)
        b1 = s * 2.0 * amp * (am1 - s * ap1 * cos_w)
        b2 = amp * (ap1 - s * am1 * cos_w - k)
        a0 = ap1 + s * am1 * cos_w + k
        a1 = -s * 2.0 * (am1 + s * ap1 * cos_w)
        a2 = ap1 + s * am1 * cos_w - k
    return b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0


def band_arguments(params, index: int):
    """(kind, frequency, gain, Q) of band `index` (0…4) of parameters [..., 13]."""
    kind, gi, fi, qi = BANDS[index]
    return kind, params[..., fi], params[..., gi], (SHELF_Q if qi is None else params[..., qi])


def sos(params, fs: float, nyquist_fraction: float | None = None) -> np.ndarray:
    """Second-order sections [5, 6] (b0 b1 b2 1 a1 a2) of one setting, for scipy.signal.sosfilt."""
    p = np.asarray(params, float)
    if p.shape != (13,):
        raise ValueError("need 13 parameters")
    rows = []
    for band in range(5):
        b0, b1, b2, a1, a2 = design(*band_arguments(p, band), fs, nyquist_fraction=nyquist_fraction)
        rows.append([b0, b1, b2, 1.0, a1, a2])
    return np.array(rows, float)


def _magnitude_squared(b0, b1, b2, a1, a2, phi):
    """(|numerator|², |denominator|²) of a normalised biquad at phi = 4·sin²(w/2) (numpy or
    torch). This form keeps its precision at low frequencies, where the cos(w) form cancels."""
    num = (b0 + b1 + b2) ** 2 - phi * (b0 * b1 + 4.0 * b0 * b2 + b1 * b2) + phi * phi * b0 * b2
    den = (1.0 + a1 + a2) ** 2 - phi * (a1 + 4.0 * a2 + a1 * a2) + phi * phi * a2
    return num, den


def section_response(coefficients, freqs, fs: float) -> np.ndarray:
    """Complex response of one normalised section (b0, b1, b2, a1, a2) at `freqs` (Hz)."""
    b0, b1, b2, a1, a2 = coefficients
    zi = np.exp(-2j * np.pi * np.asarray(freqs, float) / fs)  # z^-1
    return (b0 + zi * (b1 + zi * b2)) / (1.0 + zi * (a1 + zi * a2))


def response_db(params, freqs, fs: float = 44_100.0, nyquist_fraction: float | None = None) -> np.ndarray:
    """Magnitude (dB) of the equaliser: parameters [..., 13] -> [..., len(freqs)] (float64)."""
    p = np.asarray(params, float)
    phi = 4.0 * np.sin(np.pi * np.asarray(freqs, float) / fs) ** 2
    total = np.zeros(p.shape[:-1] + phi.shape)
    for band in range(5):
        co = [np.asarray(c, float)[..., None] for c in design(*band_arguments(p, band), fs,
                                                               nyquist_fraction=nyquist_fraction)]
        num, den = _magnitude_squared(*co, phi)
        total += 10.0 * np.log10(np.maximum(num, 1e-30) / np.maximum(den, 1e-30))
    return total


def torch_response_db(params, freqs, fs: float = 44_100.0, nyquist_fraction: float | None = None):
    """Differentiable response_db for a torch tensor [..., 13] (float64 inside, as the low
    frequencies lose precision in float32; the result has the input's dtype)."""
    import torch
    p = params.double()
    phi = torch.as_tensor(4.0 * np.sin(np.pi * np.asarray(freqs, float) / fs) ** 2, dtype=torch.float64)
    total = torch.zeros(p.shape[:-1] + phi.shape, dtype=torch.float64)
    for band in range(5):
        kind, f, g, q = band_arguments(p, band)
        co = [c.unsqueeze(-1) for c in design(kind, f, g, q, fs, xp=torch, nyquist_fraction=nyquist_fraction)]
        num, den = _magnitude_squared(*co, phi)
        total = total + 10.0 * torch.log10(num.clamp_min(1e-30) / den.clamp_min(1e-30))
    return total.to(params.dtype)
