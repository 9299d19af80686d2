"""The VST3 plugin in DawDreamer (PyPI; a JUCE-based render engine), against `adaptive-eq
process` on the same settings: the static case identical, and the intensity automated per
block (DawDreamer delivers one automation point per block, at its start) identical to the
same points given to `process --automation`."""
import numpy as np
import pytest

from conftest import real_clip, render_cli

dawdreamer = pytest.importorskip("dawdreamer")

BLOCK = 512  # frames per render block


def render(bundle, x, rate, settings, automation=None):
    """Renders `x` (frames, channels) through the plugin; `settings` maps parameter names to
    the text the plugin shows for the value wanted, `automation` a name to normalised values
    (one per frame). Returns the output (frames, channels)."""
    engine = dawdreamer.RenderEngine(rate, BLOCK)
    plugin = engine.make_plugin_processor("aeq", bundle)
    index = {d["name"]: d["index"] for d in plugin.get_parameters_description()}
    for name, text in settings.items():
        plugin.set_parameter(index[name], normalized(plugin, index[name], text))
    for name, values in (automation or {}).items():
        assert plugin.set_automation(index[name], values)
    source = engine.make_playback_processor("clip", x.T.copy())
    engine.load_graph([(source, []), (plugin, ["clip"])])
    engine.render(len(x) / rate)
    y = engine.get_audio().T
    assert y.shape[0] >= len(x) and y.shape[1] == x.shape[1], y.shape
    return y[:len(x)]


def normalized(plugin, index, text):
    """The normalised value the plugin shows as `text`: for a list (words, modes, on/off) the
    step whose text it is, so no list order is assumed here; for a continuous parameter with
    the range 0 … 1, the number itself."""
    description = plugin.get_parameters_description()[index]
    steps = description["numSteps"] if description["isDiscrete"] else None
    candidates = [i / (steps - 1) for i in range(steps)] if steps else [float(text)]
    for value in candidates:
        plugin.set_parameter(index, value)
        if plugin.get_parameter_text(index) == text:
            return value
    raise AssertionError("%s has no value shown as %r" % (description["name"], text))


def test_static_equals_cli(bundle, cli, tmp_path):
    x, rate = real_clip()
    y = render(bundle, x, rate, {"Mode": "static", "Word": "warm", "Intensity": "1", "Loudness match": "Off"})
    ref = render_cli(cli, x, rate, str(tmp_path), "--term", "warm", "--intensity", "1", "--mode", "static",
                     "--loudness-match", "off")
    assert np.abs(y - ref).max() <= 1e-6
    assert np.abs(y - x).max() > 1e-3  # the EQ did something


def test_intensity_automation_equals_cli(bundle, cli, tmp_path):
    x, rate = real_clip(seconds=4)
    # 0 → 1 over the first 2 s, then down to 0.25: a point at every block start.
    t = np.arange(len(x)) / rate
    ramp = np.where(t < 2, t / 2, 1 - 0.375 * (t - 2)).astype(np.float32)
    y = render(bundle, x, rate, {"Mode": "static", "Word": "bright", "Loudness match": "Off"}, {"Intensity": ramp})
    moves = tmp_path / "moves.csv"
    starts = range(0, len(x), BLOCK)
    moves.write_text("time,intensity\n" + "".join("%r,%r\n" % (n / rate, float(ramp[n])) for n in starts))
    ref = render_cli(cli, x, rate, str(tmp_path), "--term", "bright", "--intensity", repr(float(ramp[0])),
                     "--mode", "static", "--loudness-match", "off", "--automation", str(moves))
    assert np.abs(y - ref).max() <= 1e-6
    # The automation is heard: a fixed intensity renders something else.
    fixed = render_cli(cli, x, rate, str(tmp_path), "--term", "bright", "--intensity", "0.5", "--mode", "static",
                       "--loudness-match", "off")
    assert np.abs(y - fixed).max() > 1e-3
