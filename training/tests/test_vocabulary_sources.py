"""The engineers' descriptor curves (training/descriptors.py) and the WordNet reader
(training/lexicon.py) on small made-up data, and the descriptive words and trust the shipped
vocabulary table carries (numpy only).

    python -m pytest training/tests
"""
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from training import descriptors, lexicon  # noqa: E402

FREQS = np.geomspace(20, 20000, 200)


def table(tmp_path, *entries):
    path = tmp_path / "descriptors.json"
    path.write_text(json.dumps({"words": [dict(word=w, source="x", parts=p) for w, p in entries]}))
    return path


def test_a_peak_is_highest_at_its_centre_and_a_cut_shelf_lowers_its_side(tmp_path):
    path = table(tmp_path, ("nasal", [{"kind": "peak", "hz": 700, "octaves": 1.0, "sign": 1}]),
                 ("muffled", [{"kind": "high_shelf", "hz": 3000, "sign": -1}]),
                 ("thin", [{"kind": "low_shelf", "hz": 250, "sign": -1}]))
    c = descriptors.curves(3.0, FREQS, path)
    assert abs(np.log2(FREQS[np.argmax(c["nasal"])] / 700)) < 0.05
    half = c["nasal"].min() + (c["nasal"].max() - c["nasal"].min()) / 2
    above = FREQS[c["nasal"] >= half]
    assert abs(np.log2(above[-1] / above[0]) - 1.0) < 0.1  # full width at half height: one octave
    assert c["muffled"][FREQS > 8000].max() < c["muffled"][FREQS < 500].min()
    assert c["thin"][FREQS < 60].max() < c["thin"][FREQS > 1000].min()
    ref = (FREQS >= 100) & (FREQS <= 10000)
    for curve in c.values():  # level-free and scaled to the RMS asked for
        assert abs(curve[ref].mean()) < 1e-9
        assert abs(np.sqrt(np.mean(curve[ref] ** 2)) - 3.0) < 1e-9


def test_every_shipped_descriptor_has_a_source_and_known_parts():
    data = json.loads(descriptors.TABLE.read_text())
    assert set(e["source"] for e in data["words"]) <= set(data["sources"])
    assert len({e["word"] for e in data["words"]}) == len(data["words"])
    assert all(np.isfinite(c).all() for c in descriptors.curves(1.0).values())


ADJ = """  1 licence header line
00000001 00 a 02 bright 0 brilliant 0 002 & 00000002 a 0000 ! 00000003 a 0101 | emitting much light
00000002 00 s 01 shining 0 001 & 00000001 a 0000 | giving light
00000003 00 a 01 dull 0 001 ! 00000001 a 0101 | lacking in brightness; "a dull sound"
00000004 00 a 01 tinny 0 000 | thin and metallic in sound
00000005 00 a 01 solvent 0 000 | financially sound
"""


def test_wordnet_links_carry_synonymy_similarity_and_antonymy_with_their_sign(tmp_path):
    (tmp_path / "data.adj").write_text(ADJ)
    for pos in ("noun", "verb", "adv"):
        (tmp_path / f"data.{pos}").write_text("")
    g = lexicon.links(lexicon.read_synsets(tmp_path))
    assert g["bright"]["brilliant"] == 1 and g["bright"]["shining"] == 1 and g["shining"]["bright"] == 1
    assert g["bright"]["dull"] == -1 and g["dull"]["bright"] == -1
    assert "brilliant" not in g["dull"]  # a lexical antonym joins two words, not their synsets
    two = lexicon.relatives("shining", g)
    assert two["bright"] == 1 and two["dull"] == -0.5  # the antonym of a similar word, one step further
    assert lexicon.sound_lemmas(tmp_path) == {"tinny"}  # a gloss about sound; examples do not count


def test_the_shipped_table_lists_descriptive_learnt_words_and_a_trust_per_word():
    raw = (ROOT / "Sources" / "AdaptiveEQResources" / "Resources" / "AdaptiveEQVocabulary.safetensors").read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    meta = header["__metadata__"]
    words = meta["words"].split("\n")
    learnt = set(words[:int(meta["learnt"])])
    descriptive = meta["descriptive"].split("\n")
    assert set(descriptive) <= learnt and {"warm", "bright", "tinny"} <= set(descriptive)
    assert not {"corn", "even", "kind", "emotional"} & set(descriptive)
    t = header["vocab.trust"]
    assert t["dtype"] == "F16" and t["shape"] == [len(words)]
    a, b = t["data_offsets"]
    trust = np.frombuffer(raw[8 + n + a:8 + n + b], np.float16).astype(float)
    assert np.all((trust >= 0) & (trust <= 1))
