"""Engineers' sound-quality descriptors as EQ curves (data/engineer_descriptors.json: words
with the frequency region published glossaries give them, sources in data/PROVENANCE.md).

Each part is a unit shape in dB on a log-frequency axis: a shelf rises over one octave about its
corner, a peak is a Gaussian whose full width at half height is `octaves`. A word's curve is the
sum of its parts, level-free, scaled to `rms_db` (the caller gives the typical size of a learnt
word's curve, so a descriptor is as strong as a learnt word).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import dsp

TABLE = Path(__file__).resolve().parent.parent / "data" / "engineer_descriptors.json"


def part_db(part, freqs):
    x = np.log2(np.asarray(freqs, float) / part["hz"])
    if part["kind"] == "peak":
        sd = part["octaves"] / 2.3548  # full width at half height -> standard deviation
        shape = np.exp(-0.5 * (x / sd) ** 2)
    elif part["kind"] == "high_shelf":
        shape = 1 / (1 + np.exp(-4.4 * x))  # 10 %..90 % of the step within one octave
    elif part["kind"] == "low_shelf":
        shape = 1 / (1 + np.exp(4.4 * x))
    else:
        raise ValueError(f"unknown part kind {part['kind']!r}")
    return part["sign"] * shape


def curves(rms_db, freqs=dsp.GRID, table=TABLE):
    """{word: level-free curve (dB on `freqs`) of RMS `rms_db` over 100 Hz-10 kHz}."""
    f = np.asarray(freqs, float)
    ref = (f >= 100) & (f <= 10000)
    out = {}
    for entry in json.loads(Path(table).read_text())["words"]:
        c = sum(part_db(p, f) for p in entry["parts"])
        c = c - c[ref].mean()
        out[entry["word"]] = c * rms_db / np.sqrt(np.mean(c[ref] ** 2))
    return out
