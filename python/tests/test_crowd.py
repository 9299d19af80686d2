"""The one SAFE-DB cleaning rule and the crowd curves."""
from __future__ import annotations

import json

import numpy as np

from aeq import crowd, rbj
from aeq.tonal import BAND_CENTRES

TAIL = ",,,hash"


def _row(i, word, ip, params):
    return f"{i},{word},{ip},2,2," + ",".join(str(v) for v in params) + TAIL


WARM = [6, 200, 0, 500, 1, 0, 1000, 1, 0, 3000, 1, -6, 5000]


def test_cleaning_rule(tmp_path):
    rows = [
        _row(1, "Warm", "a", WARM),
        _row(2, "warm ", "b", [4] + WARM[1:11] + [-4, 5000]),
        _row(3, "WARM", "a", WARM),  # same contributor, same parameters: a repeat
        _row(4, "warm", "c", [0, 200, 0, 500, 1, 0, 1000, 1, 0, 3000, 1, 0, 5000]),  # untouched default
        _row(5, "warm", "d", [13] + WARM[1:]),  # gain out of range
        _row(6, "re27", "e", WARM),  # not a word
        _row(7, "test", "f", WARM),  # noise word
        _row(8, "bright", "g", ["x"] + WARM[1:]),  # unparsable
        _row(9, "Very  Warm", "h", WARM),  # a phrase, white space collapsed
    ]
    path = tmp_path / "safe.csv"
    path.write_text("\n".join(rows))
    kept, dropped = crowd.safe_rows(path)
    assert [(r.id, r.word) for r in kept] == [(1, "warm"), (2, "warm"), (9, "very warm")]
    assert dropped == {"word": 2, "range": 2, "flat": 1, "duplicate": 1}
    assert crowd.contributors(kept) == {"warm": 2, "very warm": 1}
    words = crowd.safe_words(kept, min_rows=2)
    assert list(words) == ["warm"] and words["warm"].shape == (2, 13)
    median = crowd.safe_crowd_curve(words["warm"])
    np.testing.assert_allclose(median, np.median(rbj.response_db(words["warm"], BAND_CENTRES), axis=0))


def test_the_real_data_keeps_the_known_words():
    kept, dropped = crowd.safe_rows()
    words = crowd.safe_words(kept)
    assert {"warm", "bright", "airy", "boomy"} <= set(words)
    assert not set(words) & crowd.NOISE_WORDS
    assert sum(dropped.values()) > 0


def test_audealize_curves(tmp_path):
    centres = list(np.geomspace(20, 19_682, 40))
    data = {"band_centres_hz": centres, "words": [
        {"word": "Ramp", "settings": list(np.log2(centres)), "agreement": 0.7, "num": 9},
        {"word": "ramp ", "settings": [0.0] * 40, "agreement": 0.1, "num": 1}]}
    path = tmp_path / "aud.json"
    path.write_text(json.dumps(data))
    words = crowd.audealize_words(path)
    assert list(words) == ["ramp"] and words["ramp"].agreement == 0.7 and words["ramp"].contributors == 9
    np.testing.assert_allclose(words["ramp"].curve(centres=np.array(centres)), np.log2(BAND_CENTRES), atol=1e-9)


def test_crowd_curve_prefers_safe_db():
    safe = {"warm": np.array([WARM, WARM], float)}
    aud = crowd.audealize_words()
    curve, source = crowd.crowd_curve("warm", safe, aud)
    assert source == "SAFE-DB"
    np.testing.assert_allclose(curve, rbj.response_db(WARM, BAND_CENTRES))
    word = next(w for w in aud if w not in safe)
    assert crowd.crowd_curve(word, safe, aud)[1] == "Audealize"
    assert crowd.crowd_curve("zzqxv", safe, aud) == (None, None)


def test_edit_distance_counts_single_character_edits():
    assert crowd.edit_distance("kitten", "sitting") == 3
    assert crowd.edit_distance("", "warm") == 4
    assert crowd.edit_distance("warm", "warm") == 0
    assert crowd.edit_distance("warm", "wram") == 2
