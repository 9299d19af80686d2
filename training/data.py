"""SAFE-DB and Audealize data loading and cleaning (numpy only).

SAFE-DB: Stables, Enderby, De Man, Fazekas & Reiss, "SAFE: A System for the Extraction and
Retrieval of Semantic Audio Descriptors", ISMIR 2014 (equaliser user data).
Audealize: Seetharaman & Pardo, "Audealize: Crowdsourced Audio Production Tools",
J. Audio Eng. Soc. 2016 (SocialEQ descriptor curves).
"""
from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from pathlib import Path

import numpy as np

from . import dsp

ROOT = Path(__file__).resolve().parent.parent
SAFE_CSV = ROOT / "data" / "SAFEEqualiserUserData.csv"
AUDEALIZE_JSON = ROOT / "data" / "audealize_eq_words.json"

# Descriptors that name no timbre: plug-in tests, defaults, placeholders.
NOISE_WORDS = {"test", "testing", "default", "flat", "none", "null", "asdf", "aaa", "x", "xx", "eq", "preset",
               "bypass", "off", "reset", "init", "blah", "hello", "hi", "new", "untitled"}
MIN_SAFE_ROWS = 5


def norm_word(s: str) -> str:
    return re.sub(r"\s+", " ", s.strip().lower())


def safe_all_rows():
    """{word: [params]} with the evaluator's grouping (strip + lower case), every row."""
    rows = {}
    with open(SAFE_CSV, encoding="utf-8", errors="replace") as fh:
        for r in csv.reader(fh):
            try:
                p = np.array([float(v) for v in r[5:18]])
            except (ValueError, IndexError):
                continue
            rows.setdefault(r[1].strip().lower(), []).append(p)
    return {k: np.array(v) for k, v in rows.items()}


def safe_rows_clean():
    """Clean SAFE-DB rows. Returns (records, dropped_counts).

    Rule: a row is kept when (1) its descriptor, lower-cased and trimmed, is a single
    alphabetic word or phrase (letters, spaces, hyphens; no digits) that is not a
    test/default/placeholder word (NOISE_WORDS), (2) all 13 parameters are finite and
    inside the plug-in ranges, (3) it is not the untouched plug-in default (all five gains
    0 dB), and (4) it is not an exact duplicate (same descriptor, same IP, same parameters
    to 0.01) of a row already kept.
    """
    recs, seen = [], set()
    drop = dict(word=0, range=0, flat=0, duplicate=0)
    with open(SAFE_CSV, encoding="utf-8", errors="replace") as fh:
        for r in csv.reader(fh):
            try:
                p = np.array([float(v) for v in r[5:18]])
            except (ValueError, IndexError):
                drop["range"] += 1
                continue
            w = norm_word(r[1])
            if not w or not re.fullmatch(r"[a-z][a-z \-']*", w) or w in NOISE_WORDS:
                drop["word"] += 1
                continue
            if not np.all(np.isfinite(p)) or np.any(p < dsp.LO - 1e-3) or np.any(p > dsp.HI + 1e-3):
                drop["range"] += 1
                continue
            if np.all(np.abs(p[dsp.GAIN_IDX]) < 1e-6):
                drop["flat"] += 1
                continue
            key = (w, r[2], tuple(np.round(p, 2)))
            if key in seen:
                drop["duplicate"] += 1
                continue
            seen.add(key)
            recs.append(dict(id=int(r[0]) if r[0].isdigit() else -1, word=w, ip=r[2], params=p))
    return recs, drop


def safe_terms(recs, min_rows=MIN_SAFE_ROWS):
    """{word: params array} for words with >= min_rows clean rows."""
    by = {}
    for r in recs:
        by.setdefault(r["word"], []).append(r["params"])
    return {w: np.array(v) for w, v in sorted(by.items()) if len(v) >= min_rows}


def safe_split(recs, frac_val=0.15, seed=0):
    """Held-out SAFE rows for reconstruction figures (row-level, seeded)."""
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(recs))
    n_val = int(round(frac_val * len(recs)))
    val = set(idx[:n_val].tolist())
    return [r for i, r in enumerate(recs) if i not in val], [r for i, r in enumerate(recs) if i in val]


def crowd_curve_safe(rows, freqs=dsp.BANDS):
    """EVALUATION.md crowd curve: median over rows of the 13-parameter EQ response."""
    return np.median(dsp.response_db(rows, freqs), axis=0)


def audealize_words():
    d = json.loads(AUDEALIZE_JSON.read_text())
    centres = np.array(d["band_centres_hz"], float)
    words = []
    seen = set()
    for e in d["words"]:
        w = norm_word(e["word"])
        if w in seen:
            continue
        seen.add(w)
        words.append(dict(word=w, curve=np.array(e["settings"], float), agreement=float(e["agreement"]),
                          num=int(e["num"])))
    return centres, words


def interp_curve(centres, curve, freqs):
    """Linear interpolation in log frequency, held constant beyond the end bands."""
    return np.interp(np.log(freqs), np.log(centres), curve)


# ------------------------------------------------------------------ held-out words
# A fixed share of the Audealize words never enters training (term table, word -> latent
# mapping); they measure how well words the model never saw are placed. Chosen by a salted
# SHA-256 of the word among the Audealize words that are not SAFE-DB terms (those keep their
# SAFE-DB colouration and calibrate the Audealize scale, so they cannot be held out).
HELDOUT_JSON = ROOT / "data" / "audealize_heldout_words.json"
HELDOUT_SALT = "adaptive-eq/heldout/v1:"
HELDOUT_FRACTION = 0.25


def heldout_rank(word: str) -> float:
    """Uniform in [0, 1) from the word alone, so the split does not depend on list order."""
    h = hashlib.sha256((HELDOUT_SALT + word).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0 ** 64


def choose_heldout(words, safe_words):
    """Sorted held-out words: of the words not in safe_words, the HELDOUT_FRACTION (rounded
    up) with the lowest heldout_rank."""
    pool = sorted({w for w in words if w not in safe_words}, key=heldout_rank)
    return sorted(pool[:math.ceil(HELDOUT_FRACTION * len(pool))])


def heldout_words() -> set[str]:
    """The committed held-out list (data/audealize_heldout_words.json)."""
    return {norm_word(e["word"]) for e in json.loads(HELDOUT_JSON.read_text())["words"]}


def write_heldout():
    """Writes HELDOUT_JSON in the shape of audealize_eq_words.json (usable as AEQ_WORDS)."""
    src = json.loads(AUDEALIZE_JSON.read_text())
    _, aud = audealize_words()
    held = set(choose_heldout([a["word"] for a in aud], set(safe_terms(safe_rows_clean()[0]))))
    entries, seen = [], set()
    for e in src["words"]:
        w = norm_word(e["word"])
        if w in held and w not in seen:
            seen.add(w)
            entries.append(dict(e, word=w))
    out = dict(source=src["source"], band_centres_hz=src["band_centres_hz"], note=src["note"],
               split=(f"held out of every training stage: of the Audealize words that are not SAFE-DB terms, the "
                      f"{HELDOUT_FRACTION:.0%} with the lowest sha256('{HELDOUT_SALT}' + word); "
                      f"{len(entries)} of {len(aud)} words (training/data.py, python -m training.data)"),
               words=entries)
    HELDOUT_JSON.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    return entries


if __name__ == "__main__":
    print(f"wrote {HELDOUT_JSON.relative_to(ROOT)}: {len(write_heldout())} held-out words")
