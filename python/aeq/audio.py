"""WAV in and out for measurements (scipy; the product itself reads through libsndfile)."""
from __future__ import annotations

import warnings

import numpy as np
from scipy.io import wavfile


def read_audio(path) -> tuple[int, np.ndarray]:
    """(fs, frames x channels float64 in [-1, 1]) of a WAV file (8/16/24/32-bit PCM, float)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", wavfile.WavFileWarning)  # libsndfile's PEAK chunk
        fs, x = wavfile.read(str(path))
    if x.dtype.kind == "f":
        y = x.astype(np.float64)
    elif x.dtype == np.uint8:
        y = (x.astype(np.float64) - 128.0) / 128.0
    else:
        y = x.astype(np.float64) / float(np.iinfo(x.dtype).max + 1)
    return int(fs), (y[:, None] if y.ndim == 1 else y)


def write_float_wav(path, fs: int, x) -> None:
    """32-bit float WAV (the CLI keeps float output float, so round trips are exact)."""
    wavfile.write(str(path), int(fs), np.asarray(x, np.float32))
