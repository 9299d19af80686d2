"""Crowd data: SAFE-DB equaliser settings and Audealize word curves, with the one cleaning
rule every part of the project uses, and the crowd curves the evaluation compares against.

SAFE-DB: Stables, Enderby, De Man, Fazekas & Reiss, "SAFE: A System for the Extraction and
Retrieval of Semantic Audio Descriptors", ISMIR 2014. Audealize: Seetharaman & Pardo,
"Audealize: Crowdsourced Audio Production Tools", J. Audio Eng. Soc. 2016.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import DATA
from .parameters import GAIN_IDX, HIGH, LOW
from .rbj import response_db
from .tonal import BAND_CENTRES

SAFE_CSV = DATA / "SAFEEqualiserUserData.csv"
AUDEALIZE_JSON = DATA / "audealize_eq_words.json"

#: Descriptors that name no timbre: plug-in tests, defaults, placeholders, and "vocals" (a
#: source, not a sound).
NOISE_WORDS = frozenset({"test", "testing", "default", "flat", "none", "null", "asdf", "aaa", "x", "xx", "eq",
                         "preset", "bypass", "off", "reset", "init", "blah", "hello", "hi", "new", "untitled",
                         "vocals"})
#: A SAFE-DB word counts (crowd curve, vocabulary) with at least this many clean rows.
MIN_SAFE_ROWS = 5
_WORD = re.compile(r"[a-z][a-z \-']*")


def norm_word(s: str) -> str:
    """Lower case, trimmed, inner white space collapsed."""
    return re.sub(r"\s+", " ", s.strip().lower())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions): the nearest-spelling baseline."""
    d = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, cb in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (ca != cb))
    return d[-1]


@dataclass(frozen=True)
class SafeRow:
    id: int
    word: str
    contributor: str  # the submitting IP address
    params: np.ndarray


def safe_rows(path: Path = SAFE_CSV) -> tuple[list[SafeRow], dict[str, int]]:
    """Clean SAFE-DB rows and how many were dropped for each reason.

    The rule: a row is kept when (1) its descriptor (norm_word) is a single alphabetic word or
    phrase (letters, spaces, hyphens, apostrophes; no digits) that is not in NOISE_WORDS,
    (2) all 13 parameters are finite and inside the plug-in ranges (0.001 tolerance),
    (3) it is not the untouched plug-in default (all five gains 0 dB), and (4) it does not
    repeat a kept row (same descriptor, same contributor, same parameters to 0.01).
    """
    rows, seen = [], set()
    dropped = dict(word=0, range=0, flat=0, duplicate=0)
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        for rec in csv.reader(fh):
            try:
                p = np.array([float(v) for v in rec[5:18]])
            except (ValueError, IndexError):
                dropped["range"] += 1
                continue
            if len(p) != 13:
                dropped["range"] += 1
                continue
            w = norm_word(rec[1])
            if not _WORD.fullmatch(w) or w in NOISE_WORDS:
                dropped["word"] += 1
                continue
            if not np.all(np.isfinite(p)) or np.any(p < LOW - 1e-3) or np.any(p > HIGH + 1e-3):
                dropped["range"] += 1
                continue
            if np.all(np.abs(p[list(GAIN_IDX)]) < 1e-6):
                dropped["flat"] += 1
                continue
            key = (w, rec[2], tuple(np.round(p, 2)))
            if key in seen:
                dropped["duplicate"] += 1
                continue
            seen.add(key)
            rows.append(SafeRow(int(rec[0]) if rec[0].isdigit() else -1, w, rec[2], p))
    return rows, dropped


def safe_words(rows: list[SafeRow], min_rows: int = MIN_SAFE_ROWS) -> dict[str, np.ndarray]:
    """{word: parameters [n, 13]} for the words with at least min_rows clean rows, by word."""
    by: dict[str, list] = {}
    for r in rows:
        by.setdefault(r.word, []).append(r.params)
    return {w: np.array(v) for w, v in sorted(by.items()) if len(v) >= min_rows}


def contributors(rows: list[SafeRow]) -> dict[str, int]:
    """Distinct contributors per word."""
    by: dict[str, set] = {}
    for r in rows:
        by.setdefault(r.word, set()).add(r.contributor)
    return {w: len(s) for w, s in by.items()}


def safe_crowd_curve(params, freqs=BAND_CENTRES, fs: float = 44_100.0) -> np.ndarray:
    """SAFE-DB crowd curve: median over a word's rows of each row's EQ response (dB)."""
    return np.median(response_db(np.asarray(params, float), freqs, fs), axis=0)


@dataclass(frozen=True)
class AudealizeWord:
    word: str
    settings: np.ndarray  # the 40-band curve (Audealize's own units)
    agreement: float
    contributors: int

    def curve(self, freqs=BAND_CENTRES, centres=None) -> np.ndarray:
        """The curve interpolated linearly in log frequency (held constant past the end bands)."""
        c = AUDEALIZE_CENTRES if centres is None else centres
        return np.interp(np.log(freqs), np.log(c), self.settings)


def _audealize_centres(path: Path = AUDEALIZE_JSON) -> np.ndarray:
    return np.asarray(json.loads(Path(path).read_text(encoding="utf-8"))["band_centres_hz"], float)


AUDEALIZE_CENTRES = _audealize_centres()


def audealize_words(path: Path = AUDEALIZE_JSON) -> dict[str, AudealizeWord]:
    """Audealize words by norm_word (the first entry of a repeated word wins)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out: dict[str, AudealizeWord] = {}
    for e in data["words"]:
        w = norm_word(str(e["word"]))
        if w not in out:
            out[w] = AudealizeWord(w, np.asarray(e["settings"], float), float(e["agreement"]), int(e["num"]))
    return out


def crowd_curve(word: str, safe: dict[str, np.ndarray], audealize: dict[str, AudealizeWord]):
    """(curve at the band centres, source) for a word: SAFE-DB when it has a SAFE-DB crowd
    (safe_words), else Audealize; (None, None) when neither knows it."""
    if word in safe:
        return safe_crowd_curve(safe[word]), "SAFE-DB"
    if word in audealize:
        return audealize[word].curve(), "Audealize"
    return None, None
