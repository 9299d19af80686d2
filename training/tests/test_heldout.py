"""The held-out Audealize words: the committed list follows its rule and never reaches the
model file (numpy only).

    python -m pytest training/tests
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from training import data, reference  # noqa: E402

MODEL = ROOT / "Sources" / "AdaptiveEQResources" / "Resources" / "AdaptiveEQModel.safetensors"


def test_committed_list_follows_the_rule():
    _, aud = data.audealize_words()
    safe = set(data.safe_terms(data.safe_rows_clean()[0]))
    expected = data.choose_heldout([a["word"] for a in aud], safe)
    assert sorted(data.heldout_words()) == expected
    assert len(expected) >= 0.2 * len(aud)
    assert not set(expected) & safe


def test_heldout_file_is_usable_as_aeq_words():
    d = json.loads(data.HELDOUT_JSON.read_text())
    assert len(d["band_centres_hz"]) == 40
    for e in d["words"]:
        assert len(e["settings"]) == 40 and e["num"] > 0


def test_model_holds_no_heldout_word():
    _, meta, _ = reference.read_safetensors(MODEL)
    names = set(json.loads(meta["terms"]))
    assert not names & data.heldout_words()
    assert {"warm", "bright", "airy"} <= names


VOCAB = MODEL.parent / "AdaptiveEQVocabulary.safetensors"


def _vocab():
    raw = VOCAB.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    return raw, header, header.pop("__metadata__")


def test_vocabulary_table_fits_and_matches_the_model():
    raw, header, meta = _vocab()
    assert len(raw) <= 8_000_000
    words = meta["words"].split("\n")
    learnt = int(meta["learnt"])
    _, mmeta, _ = reference.read_safetensors(MODEL)
    assert words[:learnt] == json.loads(mmeta["terms"])
    assert len(set(words)) == len(words) > 50_000
    assert header["vocab.z"]["dtype"] == "F16" and header["vocab.z"]["shape"] == [len(words), 32]


def test_heldout_words_are_only_inferred():
    _, _, meta = _vocab()
    words = meta["words"].split("\n")
    learnt = set(words[:int(meta["learnt"])])
    held = data.heldout_words()
    assert not held & learnt
    assert held <= set(words)
