"""The open vocabulary's mapping from a text embedding to a curve (training/open_vocab.py), on
small made-up data, and the shipped table's agreement with the setting in the code (numpy only).

    python -m pytest training/tests
"""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from training import open_vocab as ov  # noqa: E402


def made_up(n=40, dim=16, points=30, seed=0):
    """Unit embeddings and curves that are a mean plus one shape times a place linear in the
    embedding (so every mapping has something to find)."""
    rng = np.random.default_rng(seed)
    E = rng.standard_normal((n, dim))
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    place = E @ rng.standard_normal(dim)
    mean, tilt = rng.standard_normal(points), np.linspace(-1, 1, points)
    return E, mean + place[:, None] * tilt, np.ones(n), place


def test_knn_with_a_sharp_temperature_gives_the_most_similar_learnt_words_place():
    E, curves, w, _ = made_up()
    m = ov.Mapping(E, curves, w, "knn", 1e-4, shrink=1.0)
    y = (curves - m.mean) @ m.basis.T
    assert np.allclose(m.scores(E), y, atol=1e-6)
    q = E[3] + 0.05 * E[7]
    q /= np.linalg.norm(q)
    assert np.allclose(m.scores(q[None])[0], y[3], atol=1e-6)


def test_knn_weights_learnt_words_by_their_support():
    E = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    curves = np.array([[1.0, -1.0], [-1.0, 1.0], [0.0, 0.0]])
    q = np.array([[np.sqrt(0.5), np.sqrt(0.5)]])  # as similar to the first as to the second
    even = ov.Mapping(E, curves, np.array([1.0, 1.0, 1e-9]), "knn", 0.01, shrink=1.0)
    leaning = ov.Mapping(E, curves, np.array([3.0, 1.0, 1e-9]), "knn", 0.01, shrink=1.0)
    y_even = (curves - even.mean) @ even.basis.T
    y_lean = (curves - leaning.mean) @ leaning.basis.T
    assert np.allclose(even.scores(q)[0], (y_even[0] + y_even[1]) / 2, atol=1e-6)
    assert np.allclose(leaning.scores(q)[0], (3 * y_lean[0] + y_lean[1]) / 4, atol=1e-6)


def test_ridge_recovers_a_linear_place_and_scale_multiplies_it():
    E, curves, w, place = made_up(n=200)
    m = ov.Mapping(E, curves, w, "ridge", 1e-9, shrink=1.0)
    y = (curves - m.mean) @ m.basis.T
    assert np.corrcoef(m.scores(E)[:, 0], y[:, 0])[0, 1] > 0.999
    half = ov.Mapping(E, curves, w, "ridge", 1e-9, shrink=0.5)
    assert np.allclose(half.scores(E), 0.5 * m.scores(E))
    assert np.allclose(half.curves(E), half.mean + half.scores(E) @ half.basis)


def test_semantic_axis_puts_words_on_the_side_of_their_learnt_neighbours():
    E, curves, w, _ = made_up(n=200)
    m = ov.Mapping(E, curves, w, "axis", 0, shrink=1.0)
    y = ((curves - m.mean) @ m.basis.T)[:, 0]
    s = m.scores(E)[:, 0]
    clear = np.abs(y) > np.median(np.abs(y))
    assert np.mean(np.sign(s[clear]) == np.sign(y[clear])) > 0.9


def test_unknown_mapping_is_refused():
    E, curves, w, _ = made_up()
    with pytest.raises(ValueError):
        ov.Mapping(E, curves, w, "lookup", 0, shrink=1.0)


def test_shipped_table_was_built_with_the_setting_in_the_code():
    raw = ov.OUT.read_bytes()
    meta = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])["__metadata__"]
    assert meta["mapping"].startswith(f"{ov.MAPPING_NAMES[ov.METHOD].format(ov.PARAM)} onto {ov.COMPONENTS} ")
    assert f"scale {ov.SHRINK:g};" in meta["mapping"]
    assert meta["embedding"].startswith(ov.EMBEDDING_NAMES[ov.EMBEDDING])
    assert all(f"'{t}'" in meta["embedding"] for t in ov.TEMPLATES)
