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
from pathlib import Path

import numpy as np

from . import dsp
from aeq import crowd  # noqa: E402  (dsp puts python/ on the path)
from aeq.crowd import MIN_SAFE_ROWS, norm_word  # noqa: E402  (the one cleaning rule)

ROOT = Path(__file__).resolve().parent.parent
SAFE_CSV = ROOT / "data" / "SAFEEqualiserUserData.csv"
AUDEALIZE_JSON = ROOT / "data" / "audealize_eq_words.json"


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
    """Clean SAFE-DB rows as records (id, word, ip, params) and the dropped counts, by the
    project's one cleaning rule (python/aeq/crowd.py, safe_rows)."""
    rows, dropped = crowd.safe_rows(SAFE_CSV)
    return [dict(id=r.id, word=r.word, ip=r.contributor, params=r.params) for r in rows], dropped


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
    return crowd.safe_crowd_curve(rows, freqs)


def audealize_words():
    """(band centres, [{word, curve, agreement, num}]) with the first entry of a repeated word."""
    words = crowd.audealize_words(AUDEALIZE_JSON)
    return crowd.AUDEALIZE_CENTRES, [dict(word=w.word, curve=w.settings, agreement=w.agreement, num=w.contributors)
                                     for w in words.values()]


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
