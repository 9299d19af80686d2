"""Shared signal maths: the 13-parameter EQ (RBJ Audio EQ Cookbook biquads) in numpy and in
torch, the response grid, the exact log-mel front end of docs/MODEL_FORMAT.md, and the
tonal-balance measurement used for the neutral reference.

numpy-only at import time; torch is imported lazily by the functions that need it so the
tests and the corpus script run without torch.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))
from aeq import rbj  # noqa: E402

FS = 44100.0
N_FFT, HOP, N_MELS, FMIN, FMAX, FRAMES = 1024, 512, 64, 20.0, 16000.0, 176
LATENT, DEC_HIDDEN, DEC_BLOCKS = 32, 128, 2
WINDOW_SAMPLES = (FRAMES - 1) * HOP + N_FFT  # 90 624 samples ~ 2.05 s

PARAM_NAMES = ["g1", "f1", "g2", "f2", "q2", "g3", "f3", "q3", "g4", "f4", "q4", "g5", "f5"]
GAIN_IDX = [0, 2, 5, 8, 11]
FREQ_IDX = [1, 3, 6, 9, 12]
Q_IDX = [4, 7, 10]
FREQ_RANGES = [(22.0, 1000.0), (82.0, 3900.0), (180.0, 4700.0), (220.0, 10000.0), (580.0, 20000.0)]
Q_RANGE = (0.1, 10.0)
GAIN_MAX = 12.0
LO = np.array([-12, 22, -12, 82, 0.1, -12, 180, 0.1, -12, 220, 0.1, -12, 580], float)
HI = np.array([12, 1000, 12, 3900, 10, 12, 4700, 10, 12, 10000, 10, 12, 20000], float)
FLAT = np.array([0, 150, 0, 560, 0.71, 0, 1000, 0.71, 0, 3300, 0.71, 0, 8200], float)  # SAFE plug-in default

# Response grid: 96 log-spaced points, 20 Hz .. 20 kHz
N_GRID = 96
GRID = np.geomspace(20.0, 20000.0, N_GRID)
# One-third-octave band centres of EVALUATION.md's tonal balance curve (31.5 Hz .. 16 kHz)
BANDS = 1000.0 * 2.0 ** (np.arange(-15, 13) / 3.0)
# Weight of each grid point in audio-derived losses: the encoder sees 20 Hz..16 kHz
GRID_W = np.where((GRID >= 30) & (GRID <= 14000), 1.0, 0.25)
REF_BAND = (GRID >= 100) & (GRID <= 10000)


# ------------------------------------------------------------------ RBJ biquads (python/aeq/rbj.py)
# One implementation of the cookbook formulas serves training, evaluation and benchmarks; the
# frequency is clamped to 0.499 fs as the engine does.
NYQUIST_FRACTION = 0.499


def sos(p, fs=FS) -> np.ndarray:
    """Second-order sections [5, 6] of one 13-parameter setting (scipy.signal layout)."""
    return rbj.sos(p, fs, nyquist_fraction=NYQUIST_FRACTION)


def response_db(params, freqs=GRID, fs=FS) -> np.ndarray:
    """dB magnitude of the 5-band EQ. params [...,13] -> [..., len(freqs)]."""
    return rbj.response_db(params, freqs, fs, nyquist_fraction=NYQUIST_FRACTION)


# ------------------------------------------------------------------ parameter <-> raw (decoder output mapping)
def params_from_raw_np(u):
    u = np.asarray(u, float)
    p = np.empty_like(u)
    sig = 1 / (1 + np.exp(-u))
    for i in GAIN_IDX:
        p[..., i] = GAIN_MAX * np.tanh(u[..., i])
    for i, (lo, hi) in zip(FREQ_IDX, FREQ_RANGES):
        p[..., i] = np.exp(np.log(lo) + sig[..., i] * (np.log(hi) - np.log(lo)))
    for i in Q_IDX:
        p[..., i] = np.exp(np.log(Q_RANGE[0]) + sig[..., i] * (np.log(Q_RANGE[1]) - np.log(Q_RANGE[0])))
    return p


def normalise_params_np(p):
    """Parameters -> [-1, 1]-ish features (gains /12, log-frequency/Q position*2-1)."""
    p = np.asarray(p, float)
    x = np.empty_like(p)
    for i in GAIN_IDX:
        x[..., i] = p[..., i] / GAIN_MAX
    for i, (lo, hi) in zip(FREQ_IDX, FREQ_RANGES):
        x[..., i] = 2 * (np.log(np.clip(p[..., i], lo, hi)) - np.log(lo)) / (np.log(hi) - np.log(lo)) - 1
    for i in Q_IDX:
        lo, hi = Q_RANGE
        x[..., i] = 2 * (np.log(np.clip(p[..., i], lo, hi)) - np.log(lo)) / (np.log(hi) - np.log(lo)) - 1
    return x


def random_params(n: int, rng: np.random.Generator, gain_max=GAIN_MAX, p_zero=0.25) -> np.ndarray:
    """Random settings over the full ranges (gains uniform, frequency and Q log-uniform);
    each band is switched to 0 dB with probability p_zero (as in many real settings)."""
    p = np.empty((n, 13))
    for i in GAIN_IDX:
        p[:, i] = rng.uniform(-gain_max, gain_max, n) * (rng.random(n) >= p_zero)
    for i, (lo, hi) in zip(FREQ_IDX, FREQ_RANGES):
        p[:, i] = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
    for i in Q_IDX:
        p[:, i] = np.exp(rng.uniform(np.log(Q_RANGE[0]), np.log(Q_RANGE[1]), n))
    return p


# ------------------------------------------------------------------ torch versions
def torch_params_from_raw(u):
    import torch
    g = GAIN_MAX * torch.tanh(u[:, GAIN_IDX])
    lo = torch.tensor([np.log(a) for a, _ in FREQ_RANGES], dtype=u.dtype)
    hi = torch.tensor([np.log(b) for _, b in FREQ_RANGES], dtype=u.dtype)
    f = torch.exp(lo + torch.sigmoid(u[:, FREQ_IDX]) * (hi - lo))
    qlo, qhi = np.log(Q_RANGE[0]), np.log(Q_RANGE[1])
    q = torch.exp(qlo + torch.sigmoid(u[:, Q_IDX]) * (qhi - qlo))
    cols = [g[:, 0], f[:, 0], g[:, 1], f[:, 1], q[:, 0], g[:, 2], f[:, 2], q[:, 1], g[:, 3], f[:, 3], q[:, 2],
            g[:, 4], f[:, 4]]
    return torch.stack(cols, dim=1)


def torch_normalise_params(p):
    import torch
    cols = []
    for i in range(13):
        if i in GAIN_IDX:
            cols.append(p[:, i] / GAIN_MAX)
        else:
            lo, hi = FREQ_RANGES[FREQ_IDX.index(i)] if i in FREQ_IDX else Q_RANGE
            cols.append(2 * (torch.log(p[:, i].clamp(lo, hi)) - np.log(lo)) / (np.log(hi) - np.log(lo)) - 1)
    return torch.stack(cols, dim=1)


def torch_response_db(p, freqs=GRID, fs=FS):
    """Differentiable dB response [..., len(freqs)] in float32 (float64 inside)."""
    return rbj.torch_response_db(p, freqs, fs, nyquist_fraction=NYQUIST_FRACTION).float()


# ------------------------------------------------------------------ log-mel front end (MODEL_FORMAT.md)
def hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, float) / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, float) / 2595.0) - 1.0)


def mel_filterbank(fs=FS, n_fft=N_FFT, n_mels=N_MELS, fmin=FMIN, fmax=FMAX) -> np.ndarray:
    """HTK-mel triangles, peak 1, no area normalisation. [n_mels, n_fft/2+1] float64."""
    pts = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fk = np.arange(n_fft // 2 + 1) * fs / n_fft
    fb = np.zeros((n_mels, len(fk)))
    for m in range(n_mels):
        lo, c, hi = pts[m], pts[m + 1], pts[m + 2]
        up = (fk - lo) / (c - lo)
        down = (hi - fk) / (hi - c)
        fb[m] = np.maximum(0.0, np.minimum(up, down))
    return fb


def hann(n=N_FFT) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


def stft_power(x, n_fft=N_FFT, hop=HOP) -> np.ndarray:
    """Power spectrogram [frames, n_fft/2+1], frame t = x[t*hop : t*hop+n_fft], no padding."""
    x = np.asarray(x, float)
    n = 1 + (len(x) - n_fft) // hop
    idx = np.arange(n_fft)[None] + hop * np.arange(n)[:, None]
    X = np.fft.rfft(x[idx] * hann(n_fft)[None], axis=1)
    return X.real ** 2 + X.imag ** 2


def logmel(x, fb=None) -> np.ndarray:
    """L [n_mels, frames] in dB (float64)."""
    fb = mel_filterbank() if fb is None else fb
    M = stft_power(x) @ fb.T
    return (10 * np.log10(np.maximum(M, 1e-10))).T


# ------------------------------------------------------------------ tonal balance on the grid
def smoothed_spectrum_db(x, n=4096, hop=2048, freqs=GRID, fs=FS, gate_db=-60.0, frac_oct=1 / 3):
    """Long-term spectrum (Welch, Hann 4096, quiet frames dropped) averaged over a
    fractional-octave band around each grid frequency, in dB (absolute)."""
    x = np.asarray(x, float)
    starts = range(0, max(1, len(x) - n), hop)
    w = np.hanning(n)
    P = []
    for s in starts:
        fr = x[s:s + n]
        if len(fr) < n or np.sqrt(np.mean(fr ** 2)) <= 10 ** (gate_db / 20):
            continue
        X = np.fft.rfft(fr * w)
        P.append(X.real ** 2 + X.imag ** 2)
    if not P:
        return None
    P = np.mean(P, axis=0)
    return band_average_db(P, np.fft.rfftfreq(n, 1 / fs), freqs, frac_oct)


def band_average_db(P, fr, freqs=GRID, frac_oct=1 / 3):
    """Mean power density over [f·2^(-b/2), f·2^(b/2)] for each f (at least the nearest bin)."""
    out = np.empty(len(freqs))
    c = np.concatenate([[0.0], np.cumsum(P)])
    for j, f in enumerate(freqs):
        lo, hi = f * 2 ** (-frac_oct / 2), f * 2 ** (frac_oct / 2)
        i0, i1 = np.searchsorted(fr, lo), np.searchsorted(fr, hi)
        if i1 <= i0:
            i0 = int(np.argmin(np.abs(fr - f))); i1 = i0 + 1
        out[j] = 10 * np.log10((c[i1] - c[i0]) / (i1 - i0) + 1e-20)
    return out


def pink_reference_db(freqs=GRID):
    """Power density of pink noise (-3 dB/oct, i.e. 1/f), in dB re 1 kHz."""
    return -10 * np.log10(np.asarray(freqs) / 1000.0)


def level_free(d, axis=-1):
    """Remove the mean over 100 Hz..10 kHz (as the tonal balance curve does)."""
    d = np.asarray(d, float)
    return d - d[..., REF_BAND].mean(axis=axis, keepdims=True)
