"""The VST3 plugin in pedalboard (PyPI; JUCE's VST3 host), against `adaptive-eq process` on
the same settings: static output identical, adaptive output identical once both start from
the same point, parameters by name, state round trips (including a typed phrase), mono."""
import base64
import re
import struct

import numpy as np
import pedalboard
import pytest

from conftest import real_clip, render_cli


def load(bundle):
    return pedalboard.load_plugin(bundle)


def residual_db(y, ref):
    return 10 * np.log10(max(np.sum((y - ref) ** 2), 1e-30) / np.sum(ref ** 2))


def test_parameters_by_name(bundle):
    p = load(bundle)
    names = set(p.parameters.keys())
    for name in ["word", "second_word", "intensity", "mode", "bypass", "output_gain_db", "loudness_match",
                 "correction_limit_db", "analysis_interval_ms", "smoothing_time_ms", "low_shelf_gain_db",
                 "high_shelf_frequency_hz", "target_low_shelf_gain_db", "correction_peak_1_q",
                 "applied_response_1_khz_db", "applied_loudness_gain_db"]:
        assert name in names, name
    assert p.word == "warm" and p.second_word == "bright"
    assert p.mode == "adaptive" and not p.bypass and p.loudness_match
    assert abs(p.intensity - 0.7) < 1e-6
    assert "bright" in p.parameters["word"].valid_values and "airy" in p.parameters["word"].valid_values
    assert p.reported_latency_samples == 0


def test_static_equals_cli(bundle, cli, tmp_path):
    x, rate = real_clip()
    p = load(bundle)
    p.mode, p.word, p.intensity, p.loudness_match = "static", "warm", 1.0, False
    y = p(x.T.copy(), rate).T
    ref = render_cli(cli, x, rate, str(tmp_path), "--term", "warm", "--intensity", "1", "--mode", "static",
                     "--loudness-match", "off")
    assert y.shape == ref.shape
    assert np.abs(y - ref).max() <= 1e-6
    assert np.abs(y - x).max() > 1e-3  # the EQ did something


def test_adaptive_equals_cli(bundle, cli, tmp_path):
    x, rate = real_clip()
    p = load(bundle)
    p.mode, p.word, p.intensity = "adaptive", "bright", 0.7
    y = p(x.T.copy(), rate).T
    ref = render_cli(cli, x, rate, str(tmp_path), "--term", "bright", "--intensity", "0.7")
    window = int(2.5 * rate)  # the analysis window (2 s) full
    assert residual_db(y[window:], ref[window:]) <= -60


def test_parameter_set_from_python_takes_effect(bundle, cli, tmp_path):
    x, rate = real_clip(seconds=3)
    p = load(bundle)
    p.mode, p.word, p.loudness_match = "static", "bright", False
    p.intensity = 0.0
    assert np.abs(p(x.T.copy(), rate).T - x).max() == 0  # null at intensity 0
    p.reset()
    p.intensity = 0.5
    y = p(x.T.copy(), rate).T
    ref = render_cli(cli, x, rate, str(tmp_path), "--term", "bright", "--intensity", "0.5", "--mode", "static",
                     "--loudness-match", "off")
    assert np.abs(y - ref).max() <= 1e-6
    p.reset()
    p.bypass = True
    assert np.abs(p(x.T.copy(), rate).T - x).max() == 0


def component_state(raw):
    """The plugin's own state inside pedalboard's raw_state ("VC2!" + XML, base64)."""
    text = raw[8:].decode("utf-8", "replace")
    m = re.search(r"<IComponent>(\d+\.[^<]*)</IComponent>", text)
    assert m, text[:200]
    return m


def with_word(raw, phrase):
    """raw_state with the stored word replaced by `phrase` (the state format is
    Sources/AdaptiveEQ/PluginState.swift: entries of kind, key, value)."""
    m = component_state(raw)
    blob = juce_base64_decode(m.group(1))
    out, pos = bytearray(blob[:8]), 8
    count = struct.unpack_from("<H", blob, 6)[0]
    for _ in range(count):
        kind, klen = blob[pos], blob[pos + 1]
        key = blob[pos + 2:pos + 2 + klen]
        start = pos
        pos += 2 + klen
        if kind == 0:
            pos += 4
        elif kind == 1:
            pos += 2 + struct.unpack_from("<H", blob, pos)[0]
        else:
            pos += 2 + 4 * struct.unpack_from("<H", blob, pos)[0]
        if key == b"term":
            text = phrase.encode()
            out += bytes([1, klen]) + key + struct.pack("<H", len(text)) + text
        else:
            out += blob[start:pos]
    encoded = juce_base64_encode(bytes(out))
    text = raw[8:].decode("utf-8")
    text = text[:m.start(1)] + encoded + text[m.end(1):]
    body = text.encode("utf-8")
    return raw[:4] + struct.pack("<I", len(body)) + body


# JUCE's MemoryBlock::toBase64Encoding: its own alphabet, 6 bits at a time, low bits first.
JUCE_ALPHABET = ".ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+"


def juce_base64_decode(text):
    size = len(text) and int(text.split(".")[0])
    data = text.split(".", 1)[1] if "." in text else ""
    out = bytearray(size)
    bit = 0
    for ch in data:
        v = JUCE_ALPHABET.index(ch)
        for b in range(6):
            if v >> b & 1 and bit // 8 < size:
                out[bit // 8] |= 1 << (bit % 8)
            bit += 1
    return bytes(out)


def juce_base64_encode(blob):
    bits = len(blob) * 8
    chars = []
    for i in range(0, bits, 6):
        v = 0
        for b in range(6):
            if i + b < bits and blob[(i + b) // 8] >> ((i + b) % 8) & 1:
                v |= 1 << b
        chars.append(JUCE_ALPHABET[v])
    return "%d.%s" % (len(blob), "".join(chars))


def test_state_round_trips_every_control(bundle):
    p = load(bundle)
    p.word, p.second_word, p.blend_to_second_word, p.intensity = "airy", "boomy", 0.25, 0.4
    p.mode, p.analysis_interval_ms, p.smoothing_time_ms, p.output_gain_db = "static", 100.0, 250.0, -3.0
    p.bypass, p.correction_limit_db, p.loudness_match = True, 6.0, False
    p.low_shelf_gain_db, p.peak_2_q, p.high_shelf_frequency_hz = 4.5, 2.0, 9000.0
    names = [n for n in p.parameters if not n.startswith(("applied_", "target_", "correction_"))]
    before = {n: getattr(p, n) for n in names}
    q = load(bundle)
    q.raw_state = p.raw_state
    after = {n: getattr(q, n) for n in names}
    for n in names:
        if isinstance(before[n], float):
            assert after[n] == pytest.approx(before[n], rel=1e-3, abs=1e-3), n
        else:
            assert after[n] == before[n], n


def test_typed_phrase_survives_state(bundle, cli, tmp_path):
    x, rate = real_clip(seconds=3)
    p = load(bundle)
    p.mode, p.intensity, p.loudness_match = "static", 1.0, False
    p.raw_state = with_word(p.raw_state, "a bit less muddy")
    assert p.word == "a bit less muddy"
    y = p(x.T.copy(), rate).T
    ref = render_cli(cli, x, rate, str(tmp_path), "--term", "a bit less muddy", "--intensity", "1", "--mode", "static",
                     "--loudness-match", "off")
    assert np.abs(y - ref).max() <= 1e-6
    q = load(bundle)
    q.raw_state = p.raw_state
    assert q.word == "a bit less muddy"
    assert np.abs(q(x.T.copy(), rate).T - ref).max() <= 1e-6


def test_garbage_state_is_refused_and_changes_nothing(bundle):
    p = load(bundle)
    p.intensity = 0.3
    good = p.raw_state
    m = component_state(good)
    text = good[8:].decode("utf-8")
    for junk in ["0.", "4.ABCD", "12." + "z" * 16]:
        body = (text[:m.start(1)] + junk + text[m.end(1):]).encode()
        try:
            p.raw_state = good[:4] + struct.pack("<I", len(body)) + body
        except Exception:
            pass  # a host may report the refusal
        assert abs(p.intensity - 0.3) < 1e-6


def test_mono(bundle, cli, tmp_path):
    x, rate = real_clip(seconds=3, channels=1)
    p = load(bundle)
    p.mode, p.word, p.intensity, p.loudness_match = "static", "warm", 1.0, False
    y = p(x.T.copy(), rate).T
    ref = render_cli(cli, x, rate, str(tmp_path), "--term", "warm", "--intensity", "1", "--mode", "static",
                     "--loudness-match", "off")
    assert y.shape == ref.shape == (len(x), 1)
    assert np.abs(y - ref).max() <= 1e-6
