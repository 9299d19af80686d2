"""Measurement functions used by the evaluation harness (numpy/scipy only, no CLI needed).

Definitions follow docs of the project's evaluation figures:

* tonal balance curve (TBC): mono mix, Welch power spectrum (Hann 4096, hop 2048, frames
  quieter than -60 dBFS RMS dropped), power summed into 28 one-third-octave bands
  (base-2 centres 31.25 Hz ... 16 kHz), in dB, minus the mean over the nominal bands
  100 Hz ... 10 kHz (21 bands);
* applied response: TBC(out) - TBC(in);
* spread: mean pairwise RMS difference of a set of TBCs (dB);
* RBJ Audio EQ Cookbook biquads for the 13-parameter SAFE-DB layout
  [g1 f1 | g2 f2 q2 | g3 f3 q3 | g4 f4 q4 | g5 f5] (shelf Q 0.71).
"""
from __future__ import annotations

import csv
import json
import math
import warnings
from pathlib import Path

import numpy as np
from scipy import signal
from scipy.io import wavfile

# ----------------------------------------------------------------------------- bands
#: One-third-octave band centres (Hz), 1 kHz * 2^(k/3) for k = -15 ... 12.
BAND_CENTRES = 1000.0 * np.exp2(np.arange(-15, 13) / 3.0)
#: Bands whose mean is removed from a TBC: the nominal 100 Hz ... 10 kHz bands inclusive
#: (exact centres 99.2 Hz ... 10.08 kHz, 21 bands).
REFERENCE_BANDS = (BAND_CENTRES > 100.0 / 2 ** (1 / 6)) & (BAND_CENTRES < 10_000.0 * 2 ** (1 / 6))
SHELF_Q = 0.71
PARAMETER_NAMES = ("g1", "f1", "g2", "f2", "q2", "g3", "f3", "q3", "g4", "f4", "q4", "g5", "f5")
PARAMETER_LOW = np.array([-12, 22, -12, 82, 0.1, -12, 180, 0.1, -12, 220, 0.1, -12, 580], float)
PARAMETER_HIGH = np.array([12, 1000, 12, 3900, 10, 12, 4700, 10, 12, 10000, 10, 12, 20000], float)

TBC_FFT = 4096
TBC_HOP = 2048
TBC_GATE_DBFS = -60.0


# ----------------------------------------------------------------------------- RBJ EQ
def rbj_biquad(kind: str, frequency_hz: float, gain_db: float, q: float, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """(b, a) of one RBJ cookbook section, normalised so a[0] == 1.

    kind: "peak", "lowshelf" or "highshelf".
    """
    amp = math.pow(10.0, gain_db / 40.0)
    omega = 2.0 * math.pi * frequency_hz / fs
    cos_w, sin_w = math.cos(omega), math.sin(omega)
    alpha = sin_w / (2.0 * q)
    if kind == "peak":
        b = (1.0 + alpha * amp, -2.0 * cos_w, 1.0 - alpha * amp)
        a = (1.0 + alpha / amp, -2.0 * cos_w, 1.0 - alpha / amp)
    elif kind in ("lowshelf", "highshelf"):
        k = 2.0 * math.sqrt(amp) * alpha
        ap1, am1 = amp + 1.0, amp - 1.0
        sign = 1.0 if kind == "lowshelf" else -1.0
        # Low shelf with sign=+1; the high shelf mirrors the cosine terms.
        b = (amp * (ap1 - sign * am1 * cos_w + k),
             sign * 2.0 * amp * (am1 - sign * ap1 * cos_w),
             amp * (ap1 - sign * am1 * cos_w - k))
        a = (ap1 + sign * am1 * cos_w + k,
             -sign * 2.0 * (am1 + sign * ap1 * cos_w),
             ap1 + sign * am1 * cos_w - k)
    else:
        raise ValueError(f"unknown section kind {kind!r}")
    b_arr, a_arr = np.asarray(b, float), np.asarray(a, float)
    return b_arr / a_arr[0], a_arr / a_arr[0]


def eq_sections(params, fs: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """The five RBJ sections of a 13-parameter SAFE-DB setting."""
    p = [float(v) for v in params]
    if len(p) != 13:
        raise ValueError("need 13 parameters")
    return [
        rbj_biquad("lowshelf", p[1], p[0], SHELF_Q, fs),
        rbj_biquad("peak", p[3], p[2], p[4], fs),
        rbj_biquad("peak", p[6], p[5], p[7], fs),
        rbj_biquad("peak", p[9], p[8], p[10], fs),
        rbj_biquad("highshelf", p[12], p[11], SHELF_Q, fs),
    ]


def eq_sos(params, fs: float) -> np.ndarray:
    """Second-order-sections array (5 x 6) for scipy.signal.sosfilt."""
    return np.array([np.concatenate([b, a]) for b, a in eq_sections(params, fs)])


def biquad_response(b: np.ndarray, a: np.ndarray, freqs, fs: float) -> np.ndarray:
    """Complex response of one biquad at `freqs` (Hz), evaluated directly on the unit circle."""
    zi = np.exp(-2j * np.pi * np.asarray(freqs, float) / fs)  # z^-1
    num = b[0] + zi * (b[1] + zi * b[2])
    den = a[0] + zi * (a[1] + zi * a[2])
    return num / den


def eq_response_db(params, freqs, fs: float = 44_100.0) -> np.ndarray:
    """Magnitude (dB) of the 13-parameter EQ at `freqs` (Hz)."""
    total = np.zeros(np.shape(freqs))
    for b, a in eq_sections(params, fs):
        total += 20.0 * np.log10(np.maximum(np.abs(biquad_response(b, a, freqs, fs)), 1e-15))
    return total


# ----------------------------------------------------------------------------- signals
def mono(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, float)
    return x if x.ndim == 1 else x.mean(axis=1)


def welch_power(x: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Mean power spectrum of the gated Hann frames; returns (freqs, power, frames kept)."""
    m = mono(x)
    freqs = np.fft.rfftfreq(TBC_FFT, 1.0 / fs)
    if len(m) < TBC_FFT:
        return freqs, np.zeros(len(freqs)), 0
    frames = np.lib.stride_tricks.sliding_window_view(m, TBC_FFT)[::TBC_HOP]
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    keep = rms >= 10.0 ** (TBC_GATE_DBFS / 20.0)
    if not np.any(keep):
        return freqs, np.zeros(len(freqs)), 0
    window = signal.get_window("hann", TBC_FFT)
    spectra = np.fft.rfft(frames[keep] * window, axis=1)
    power = np.mean(spectra.real ** 2 + spectra.imag ** 2, axis=0)
    return freqs, power, int(keep.sum())


def band_levels_db(freqs: np.ndarray, power: np.ndarray) -> np.ndarray:
    """Power summed into the one-third-octave bands, in dB (no normalisation).

    A band narrower than the bin spacing (the lowest bands at high sample rates) gets the
    power density interpolated at its centre times its width in bins.
    """
    step = freqs[1] - freqs[0]
    levels = np.empty(len(BAND_CENTRES))
    for i, centre in enumerate(BAND_CENTRES):
        lo, hi = centre / 2 ** (1 / 6), centre * 2 ** (1 / 6)
        sel = (freqs >= lo) & (freqs < hi)
        if np.any(sel):
            p = power[sel].sum()
        else:
            p = np.interp(centre, freqs, power) * (hi - lo) / step
        levels[i] = 10.0 * np.log10(p + 1e-30)
    return levels


def tbc(x: np.ndarray, fs: float) -> np.ndarray:
    """Tonal balance curve (28 values, dB, mean over 100 Hz ... 10 kHz removed).

    A signal with no frame above the gate gives all zeros.
    """
    freqs, power, kept = welch_power(x, fs)
    if kept == 0:
        return np.zeros(len(BAND_CENTRES))
    levels = band_levels_db(freqs, power)
    return levels - levels[REFERENCE_BANDS].mean()


def applied_response(x_in: np.ndarray, x_out: np.ndarray, fs: float) -> np.ndarray:
    return tbc(x_out, fs) - tbc(x_in, fs)


def spread(curves) -> float:
    """Mean pairwise RMS difference (dB) of a set of curves."""
    c = np.asarray(curves, float)
    n = len(c)
    if n < 2:
        return 0.0
    total, pairs = 0.0, 0
    for i in range(n):
        d = c[i + 1:] - c[i]
        total += float(np.sqrt(np.mean(d * d, axis=1)).sum())
        pairs += n - i - 1
    return total / pairs


def pearson(a, b) -> float:
    a = np.asarray(a, float) - np.mean(a)
    b = np.asarray(b, float) - np.mean(b)
    den = math.sqrt(float(np.dot(a, a)) * float(np.dot(b, b)))
    return float(np.dot(a, b) / den) if den > 0 else float("nan")


def spectral_centroid(x: np.ndarray, fs: float) -> float:
    f, p = signal.welch(mono(x), fs, nperseg=4096)
    return float(np.sum(f * p) / max(np.sum(p), 1e-30))


def highpass_8k_sos(fs: float, cutoff_hz: float = 8000.0, order: int = 4) -> np.ndarray:
    """Butterworth high-pass used by the click-freedom figure."""
    return signal.butter(order, cutoff_hz, btype="highpass", fs=fs, output="sos")


def peak_dbfs(x: np.ndarray) -> float:
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
    x *= 10 ** (rms_dbfs / 20) / np.sqrt(np.mean(x * x))
    return x


# ----------------------------------------------------------------------------- files
def read_audio(path) -> tuple[int, np.ndarray]:
    """(fs, frames x channels float64 in [-1, 1]) of a WAV file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", wavfile.WavFileWarning)  # libsndfile's PEAK chunk
        fs, x = wavfile.read(str(path))
    if x.dtype.kind == "f":
        y = x.astype(np.float64)
    elif x.dtype == np.uint8:
        y = (x.astype(np.float64) - 128.0) / 128.0
    else:
        y = x.astype(np.float64) / float(np.iinfo(x.dtype).max + 1)
    if y.ndim == 1:
        y = y[:, None]
    return int(fs), y


def write_float_wav(path, fs: int, x: np.ndarray) -> None:
    """32-bit float WAV (the CLI keeps float output float, so round trips are exact)."""
    wavfile.write(str(path), int(fs), np.asarray(x, np.float32))


# ----------------------------------------------------------------------------- crowd data
NOISE_WORDS = {"test", "default", "re27", "vocals"}


def load_safe(path) -> dict[str, list[np.ndarray]]:
    """SAFE-DB rows by lower-cased descriptor; parameters are columns 6-18."""
    rows: dict[str, list[np.ndarray]] = {}
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        for rec in csv.reader(fh):
            if len(rec) < 18:
                continue
            try:
                p = np.array([float(v) for v in rec[5:18]])
            except ValueError:
                continue
            if not np.all(np.isfinite(p)):
                continue
            rows.setdefault(rec[1].strip().lower(), []).append(p)
    return rows


def safe_crowd_curve(rows: list[np.ndarray], fs: float = 44_100.0) -> np.ndarray:
    """Median over rows of each row's EQ response at the band centres (dB)."""
    return np.median(np.array([eq_response_db(p, BAND_CENTRES, fs) for p in rows]), axis=0)


def load_audealize(path) -> dict[str, dict]:
    """Audealize words -> {'curve': 28 values at the band centres, 'agreement', 'contributors'}.

    The 40-band curve is interpolated linearly in log frequency.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    centres = np.log2(np.asarray(data["band_centres_hz"], float))
    out: dict[str, dict] = {}
    for entry in data["words"]:
        word = str(entry["word"]).strip().lower()
        curve = np.interp(np.log2(BAND_CENTRES), centres, np.asarray(entry["settings"], float))
        out[word] = {"curve": curve, "agreement": float(entry["agreement"]), "contributors": int(entry["num"])}
    return out
