"""Tonal balance and the measurements built on it (definitions of the project's evaluation):

* tonal balance curve (TBC): mono mix, Welch power spectrum (Hann 4096, hop 2048, frames
  quieter than -60 dBFS RMS dropped), power summed into 28 one-third-octave bands (base-2
  centres 31.25 Hz … 16 kHz), in dB, minus the mean over the nominal 100 Hz … 10 kHz bands;
* applied response: TBC(out) - TBC(in);
* spread: mean pairwise RMS difference of a set of TBCs (dB);
* Pearson r, spectral centroid, peak level.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import signal

#: One-third-octave band centres (Hz), 1 kHz * 2^(k/3) for k = -15 … 12.
BAND_CENTRES = 1000.0 * np.exp2(np.arange(-15, 13) / 3.0)
_HALF_BAND = 2 ** (1 / 6)
#: Bands whose mean a TBC removes: the nominal 100 Hz … 10 kHz bands (exact centres 99.2 Hz … 10.08 kHz).
REFERENCE_BANDS = (BAND_CENTRES > 100.0 / _HALF_BAND) & (BAND_CENTRES < 10_000.0 * _HALF_BAND)
#: Bands of the real-recording figures (word direction, bounded EQ): nominal 40 Hz … 12.5 kHz,
#: the range every codec keeps (exact centres 39.4 Hz … 12.7 kHz, 26 bands).
MID_BANDS = (BAND_CENTRES > 40.0 / _HALF_BAND) & (BAND_CENTRES < 12_500.0 * _HALF_BAND)

TBC_FFT = 4096
TBC_HOP = 2048
TBC_GATE_DBFS = -60.0


def mono(x) -> np.ndarray:
    x = np.asarray(x, float)
    return x if x.ndim == 1 else x.mean(axis=1)


def welch_power(x, fs: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Mean power spectrum of the gated Hann frames: (freqs, power, frames kept)."""
    m = mono(x)
    freqs = np.fft.rfftfreq(TBC_FFT, 1.0 / fs)
    if len(m) < TBC_FFT:
        return freqs, np.zeros(len(freqs)), 0
    frames = np.lib.stride_tricks.sliding_window_view(m, TBC_FFT)[::TBC_HOP]
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    keep = rms >= 10.0 ** (TBC_GATE_DBFS / 20.0)
    if not np.any(keep):
        return freqs, np.zeros(len(freqs)), 0
    spectra = np.fft.rfft(frames[keep] * signal.get_window("hann", TBC_FFT), axis=1)
    return freqs, np.mean(spectra.real ** 2 + spectra.imag ** 2, axis=0), int(keep.sum())


def band_levels_db(freqs: np.ndarray, power: np.ndarray) -> np.ndarray:
    """Power summed into the one-third-octave bands, in dB (no normalisation).

    A band narrower than the bin spacing (the lowest bands at high sample rates) gets the
    power density interpolated at its centre times its width in bins.
    """
    step = freqs[1] - freqs[0]
    levels = np.empty(len(BAND_CENTRES))
    for i, centre in enumerate(BAND_CENTRES):
        lo, hi = centre / _HALF_BAND, centre * _HALF_BAND
        sel = (freqs >= lo) & (freqs < hi)
        p = power[sel].sum() if np.any(sel) else np.interp(centre, freqs, power) * (hi - lo) / step
        levels[i] = 10.0 * np.log10(p + 1e-30)
    return levels


def level_free(curve) -> np.ndarray:
    """A band curve minus its mean over the reference bands (overall level does not count)."""
    c = np.asarray(curve, float)
    return c - c[..., REFERENCE_BANDS].mean(axis=-1, keepdims=True)


def tbc(x, fs: float) -> np.ndarray:
    """Tonal balance curve (28 values, dB). A signal with no frame above the gate gives zeros."""
    freqs, power, kept = welch_power(x, fs)
    if kept == 0:
        return np.zeros(len(BAND_CENTRES))
    return level_free(band_levels_db(freqs, power))


def applied_response(x_in, x_out, fs: float) -> np.ndarray:
    return tbc(x_out, fs) - tbc(x_in, fs)


def spread(curves) -> float:
    """Mean pairwise RMS difference (dB) of a set of curves."""
    c = np.asarray(curves, float)
    n = len(c)
    if n < 2:
        return 0.0
    d = c[:, None, :] - c[None, :, :]
    rms = np.sqrt(np.mean(d * d, axis=2))
    return float(rms[np.triu_indices(n, 1)].mean())


def pearson(a, b) -> float:
    """Pearson r; nan when either side is constant or missing."""
    if a is None or b is None:
        return float("nan")
    a = np.asarray(a, float) - np.mean(a)
    b = np.asarray(b, float) - np.mean(b)
    den = math.sqrt(float(np.dot(a, a)) * float(np.dot(b, b)))
    return float(np.dot(a, b) / den) if den > 0 else float("nan")


def spectral_centroid(x, fs: float) -> float:
    f, p = signal.welch(mono(x), fs, nperseg=4096)
    return float(np.sum(f * p) / max(np.sum(p), 1e-30))


def peak_dbfs(x) -> float:
    return 20.0 * math.log10(float(np.max(np.abs(x))) + 1e-30) if np.size(x) else -600.0


def pink_noise(seconds: float, fs: int, seed: int = 0, rms_dbfs: float = -20.0) -> np.ndarray:
    """Gaussian pink noise (power density ~ 1/f from 10 Hz up), mono, at `rms_dbfs`."""
    n = int(round(seconds * fs))
    rng = np.random.default_rng(seed)
    spectrum = rng.standard_normal(n // 2 + 1) + 1j * rng.standard_normal(n // 2 + 1)
    f = np.fft.rfftfreq(n, 1.0 / fs)
    shape = 1.0 / np.sqrt(np.maximum(f, 10.0))
    shape[0] = 0.0
    x = np.fft.irfft(spectrum * shape, n)
    return x * (10 ** (rms_dbfs / 20) / np.sqrt(np.mean(x * x)))
