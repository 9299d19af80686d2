"""The studio's EQ plot shows what is heard: in headless Chromium, the bundled opening track
(real recordings: a piano, a guitar loop and a drum break) plays in adaptive mode; the page's
own chunk requests are teed (input and output as streamed), and every drawn "applied" curve
is recorded. Over a few seconds, the transfer measured from the streamed input and output in
one-third-octave bands (level removed) must equal the plotted applied curve within 1 dB from
50 Hz to 12 kHz.

Needs the release build (`swift build -c release`); $AEQ_BIN overrides the binary.
"""
import base64
import subprocess

import numpy as np
import pytest
from scipy import signal
from selenium.webdriver.support.ui import WebDriverWait

from studio_browser import BIN, chromium, free_port

# One-third-octave centres 1 kHz · 2^(k/3) from 50 Hz to 10 kHz (the 12.7 kHz band reaches past 12 kHz).
BANDS_HZ = 1000 * 2.0 ** (np.arange(-13, 11) / 3)
# The engine primes after 93 ms and glides in; its analysis window fills in about 2 s.
SKIP_SECONDS = 2.5
TOLERANCE_DB = 1.0

# Tees the page's /api/chunk replies (same bytes the player decodes) and records every curve
# the EQ plot draws, with the stream position of the telemetry it drew.
RECORDER = r"""
window.recorded = { chunks: [], drawn: [] };
const plainFetch = window.fetch;
window.fetch = async (url, options) => {
  const reply = await plainFetch(url, options);
  if (String(url).startsWith("/api/chunk") && reply.ok) {
    const bytes = await reply.clone().arrayBuffer();
    const headerBytes = new DataView(bytes).getUint32(0, true);
    const t = JSON.parse(new TextDecoder().decode(new Uint8Array(bytes, 4, headerBytes)));
    window.recorded.chunks.push({ position: t.position, frames: t.frames,
                                  samples: bytes.slice(4 + headerBytes) });
  }
  return reply;
};
const plainEq = Plots.eq;
Plots.eq = (canvas, frequencies, t) => {
  const drawn = plainEq(canvas, frequencies, t);
  if (t && drawn) window.recorded.drawn.push({ position: t.position, applied: Array.from(drawn.applied),
    // What the plot used to draw: the target minus the whole colouration heard.
    whole: t.colouration ? t.target.map((v, i) => v - t.colouration[i]) : null });
  return drawn;
};
"""


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    assert BIN.exists(), f"{BIN} not built (run swift build -c release)"
    port = free_port()
    proc = subprocess.Popen([str(BIN), "studio", "--port", str(port),
                             "--results", str(tmp_path_factory.mktemp("applied-eq-results"))],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert f"http://127.0.0.1:{port}/" in line, line + proc.stderr.read()
    driver = chromium()
    yield f"http://127.0.0.1:{port}", driver
    driver.quit()
    proc.terminate()
    proc.wait(timeout=20)


def band_powers(x, fs):
    """Power per one-third-octave band (Welch, 8192-point Hann: 5.4 Hz bins), channels summed."""
    f, p = signal.welch(x, fs, window="hann", nperseg=8192, noverlap=4096, axis=-1)
    p = p.sum(axis=0)
    return f, p, np.array([p[(f >= c * 2 ** (-1 / 6)) & (f < c * 2 ** (1 / 6))].sum() for c in BANDS_HZ])


def test_plotted_applied_eq_is_the_measured_transfer(studio):
    base, d = studio
    d.get(base + "/")
    WebDriverWait(d, 30).until(lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))
    info = d.execute_script("return { mode: studio.values.mode, options: studio.info.controls.find(c => c.symbol === 'mode').options,"
                            " word: studio.words[studio.values.term].word, intensity: studio.values.intensity,"
                            " track: studio.track }")
    assert info["options"][round(info["mode"])] == "adaptive", info
    track = info["track"]
    fs, channels = track["sampleRate"], track["channels"]
    d.execute_script(RECORDER)
    d.find_element("id", "play").click()
    # Play until the stream nears the end of the track (it loops there and the engine restarts).
    end = track["frames"] - 4096
    WebDriverWait(d, 60).until(lambda d: d.execute_script(
        f"return window.recorded.chunks.some(c => c.position + c.frames >= {end})"))
    d.find_element("id", "play").click()
    frequencies = np.array(d.execute_script("return studio.info.curveFrequencies"))
    chunks = d.execute_script("""return window.recorded.chunks.map(c => {
        let s = ''; const b = new Uint8Array(c.samples);
        for (let i = 0; i < b.length; i += 32768) s += String.fromCharCode.apply(null, b.subarray(i, i + 32768));
        return { position: c.position, frames: c.frames, samples: btoa(s) }; })""")
    drawn = d.execute_script("return window.recorded.drawn")

    # The streamed audio from the first chunk of the stream on, contiguous.
    first = next(i for i, c in enumerate(chunks) if c["position"] == 0)
    inputs, outputs, position = [], [], 0
    for c in chunks[first:]:
        if c["position"] != position:
            break
        s = np.frombuffer(base64.b64decode(c["samples"]), dtype="<f4").reshape(2 * channels, c["frames"])
        inputs.append(s[:channels]); outputs.append(s[channels:])
        position += c["frames"]
    x, y = np.concatenate(inputs, axis=1), np.concatenate(outputs, axis=1)
    start = int(SKIP_SECONDS * fs)
    assert x.shape[1] - start >= 4 * fs, f"only {x.shape[1] / fs:.1f} s streamed in one run"
    x, y = x[:, start:].astype(float), y[:, start:].astype(float)

    # Measured: output over input power per band, level removed.
    f, pin, bin_ = band_powers(x, fs)
    _, _, bout = band_powers(y, fs)
    measured = 10 * np.log10(bout / bin_)
    measured -= measured.mean()

    # Plotted: the mean power response of the curves drawn for that stretch, weighted within
    # each band by the input spectrum as the measurement is.
    stretch = [c for c in drawn if start <= c["position"] < start + x.shape[1]]
    assert len(stretch) >= 20, f"only {len(stretch)} EQ plots drawn while the stretch played"

    def as_measured(curves):
        power = np.mean([10 ** (np.array(c) / 10) for c in curves], axis=0)
        at_bins = np.interp(np.log(np.maximum(f, 1)), np.log(frequencies), power)
        bands = []
        for c in BANDS_HZ:
            k = (f >= c * 2 ** (-1 / 6)) & (f < c * 2 ** (1 / 6))
            bands.append(10 * np.log10((pin[k] * at_bins[k]).sum() / pin[k].sum()))
        return np.array(bands) - np.mean(bands)

    plotted = as_measured([c["applied"] for c in stretch])
    whole = as_measured([c["whole"] for c in stretch])

    error = plotted - measured
    table = "\n".join(f"{c:8.0f} Hz  plotted {p:+6.2f}  measured {m:+6.2f}  error {e:+5.2f}"
                      for c, p, m, e in zip(BANDS_HZ, plotted, measured, error))
    print(f"{info['word']} at {info['intensity']}, adaptive, {x.shape[1] / fs:.1f} s, {len(stretch)} plots:\n{table}")
    # The test can tell: the response swings by more than the tolerance across the bands, and
    # the target minus the whole colouration heard (what the plot once drew) misses it.
    assert np.ptp(measured) > 2 * TOLERANCE_DB, f"the EQ is too flat to test anything:\n{table}"
    print(f"target − whole colouration: largest miss {np.max(np.abs(whole - measured)):.1f} dB")
    assert np.max(np.abs(whole - measured)) > 2 * TOLERANCE_DB
    assert np.max(np.abs(error)) <= TOLERANCE_DB, table
