"""Derives the static term table (one robust EQ setting per word) from SAFE-DB.

  python3 scripts/static_terms.py  →  Sources/AdaptiveEQResources/Resources/static_terms.tsv

Rules (data/PROVENANCE.md has the source):
- descriptors are lower-cased and trimmed; rows whose 13 parameters are not all finite and
  inside the SAFE-DB ranges are dropped, as are repeated submissions (same contributor,
  same descriptor, same parameters);
- "test", "default" and descriptors that are not a word (digits or punctuation in them)
  are noise; a word must keep at least 5 rows from at least 3 contributors (IP addresses),
  so one person's preset names do not become vocabulary;
- the robust setting of a word is its medoid in the response domain: the row whose
  magnitude response (dB, 64 log-spaced points 20 Hz-20 kHz, 44.1 kHz, RBJ cookbook
  filters) has the smallest summed RMS distance to the responses of the word's other
  rows. Unlike a per-parameter mean it is a setting a user really made, and it is not
  pulled by settings that look different in parameter space but sound alike.
"""
import csv
import re
from pathlib import Path

import numpy as np
from scipy import signal

ROOT = Path(__file__).resolve().parent.parent
SAFE = ROOT / "data" / "SAFEEqualiserUserData.csv"
OUT = ROOT / "Sources" / "AdaptiveEQResources" / "Resources" / "static_terms.tsv"
LOW = np.array([-12, 22, -12, 82, 0.1, -12, 180, 0.1, -12, 220, 0.1, -12, 580])
HIGH = np.array([12, 1000, 12, 3900, 10, 12, 4700, 10, 12, 10000, 10, 12, 20000])
NOISE = {"test", "default"}
MIN_ROWS, MIN_CONTRIBUTORS = 5, 3
FS = 44100.0
GRID = np.geomspace(20, 20000, 64)


def biquad(kind, f, gain_db, q, fs=FS):
    a = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * min(f, 0.48 * fs) / fs
    c, s = np.cos(w0), np.sin(w0)
    al = s / (2 * q)
    if kind == "peak":
        b = [1 + al * a, -2 * c, 1 - al * a]
        den = [1 + al / a, -2 * c, 1 - al / a]
    else:
        sq = 2 * np.sqrt(a) * al
        sign = 1 if kind == "low" else -1
        b = [a * ((a + 1) - sign * (a - 1) * c + sq), sign * 2 * a * ((a - 1) - sign * (a + 1) * c),
             a * ((a + 1) - sign * (a - 1) * c - sq)]
        den = [(a + 1) + sign * (a - 1) * c + sq, -sign * 2 * ((a - 1) + sign * (a + 1) * c),
               (a + 1) + sign * (a - 1) * c - sq]
    return np.concatenate([np.array(b) / den[0], np.array(den) / den[0]])


def response_db(p):
    g1, f1, g2, f2, q2, g3, f3, q3, g4, f4, q4, g5, f5 = p
    sos = np.array([biquad("low", f1, g1, 0.71), biquad("peak", f2, g2, q2), biquad("peak", f3, g3, q3),
                    biquad("peak", f4, g4, q4), biquad("high", f5, g5, 0.71)])
    _, h = signal.sosfreqz(sos, worN=GRID, fs=FS)
    return 20 * np.log10(np.maximum(np.abs(h), 1e-12))


def clean_rows():
    words = {}
    seen = set()
    with open(SAFE, encoding="utf-8", errors="replace") as fh:
        for r in csv.reader(fh):
            word = r[1].strip().lower()
            try:
                p = np.array([float(v) for v in r[5:18]])
            except (ValueError, IndexError):
                continue
            if word in NOISE or not re.fullmatch(r"[a-z]+", word):
                continue
            if not np.all(np.isfinite(p)) or np.any(p < LOW - 1e-4) or np.any(p > HIGH + 1e-4):
                continue
            key = (word, r[2], tuple(np.round(p, 4)))
            if key in seen:
                continue
            seen.add(key)
            words.setdefault(word, []).append((r[2], np.clip(p, LOW, HIGH)))
    return words


def main():
    lines = ["# word\trows\tcontributors\t" + "\t".join(
        "g1 f1 g2 f2 q2 g3 f3 q3 g4 f4 q4 g5 f5".split())]
    for word, rows in sorted(clean_rows().items()):
        contributors = len({ip for ip, _ in rows})
        if len(rows) < MIN_ROWS or contributors < MIN_CONTRIBUTORS:
            continue
        params = np.array([p for _, p in rows])
        resp = np.array([response_db(p) for p in params])
        dist = np.sqrt(((resp[:, None, :] - resp[None, :, :]) ** 2).mean(axis=2)).sum(axis=1)
        best = params[int(np.argmin(dist))]
        lines.append("\t".join([word, str(len(rows)), str(contributors)] + [f"{v:.6g}" for v in best]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    print(f"{len(lines) - 1} words -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
