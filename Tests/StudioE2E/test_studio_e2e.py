"""End-to-end test of `adaptive-eq studio` in headless Chromium (Debian chromium +
chromium-driver, Python selenium): loads the page, plays, moves the intensity slider, switches
A/B, runs one blind trial, types any word and uses the track as the reference, and checks
that the plots draw and the audio endpoint answers.

Needs the release build (`swift build -c release`, or `swift test -c release`); $AEQ_BIN
overrides the binary. STUDIO_SCREENSHOT=path saves a screenshot of the playing page.
"""
import json
import os
import subprocess
import time
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from studio_browser import BIN, chromium, free_port, js



@pytest.fixture(scope="module")
def server(tmp_path_factory):
    assert BIN.exists(), f"{BIN} not built (run swift build -c release)"
    results = tmp_path_factory.mktemp("studio-results")
    port = free_port()
    proc = subprocess.Popen([str(BIN), "studio", "--port", str(port), "--results", str(results)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert f"http://127.0.0.1:{port}/" in line, line + proc.stderr.read()
    yield f"http://127.0.0.1:{port}", results
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    driver = chromium()
    yield driver
    driver.quit()


def wait_for(driver, script, timeout=20):
    WebDriverWait(driver, timeout).until(lambda d: d.execute_script("return " + script))


def test_studio_page(server, browser):
    base, results = server
    d = browser
    d.get(base + "/")
    wait_for(d, "document.body.dataset.ready === 'true'")
    assert "adaptive model loaded" in d.find_element(By.ID, "status").text
    # Sliders come from the parameter table.
    controls = js(d, "return studio.info.controls.map(c => c.symbol)")
    for symbol in controls:
        if symbol != "term":
            assert d.find_elements(By.ID, "control-" + symbol), symbol
    # Word search filters the list and shows support.
    search = d.find_element(By.ID, "word-search")
    search.send_keys("bri")
    options = [o.text for o in d.find_elements(By.CSS_SELECTOR, "#word option")]
    assert options and all("bri" in o for o in options) and "(" in options[0]
    search.clear()
    js(d, "document.getElementById('word-search').dispatchEvent(new Event('input'))")

    # Play: chunks arrive and are scheduled; the position moves.
    d.find_element(By.ID, "play").click()
    wait_for(d, "studio.stats.chunks >= 10")
    # Move the intensity slider; the change must reach the playing audio.
    slider = d.find_element(By.ID, "control-intensity")
    js(d, "arguments[0].value = 0.2; arguments[0].dispatchEvent(new Event('input'))", slider)
    wait_for(d, "studio.stats.changeLatencyMs.length >= 1")
    assert js(d, "return studio.values.intensity") == pytest.approx(0.2)
    for value in (0.9, 0.5, 1.0):
        time.sleep(0.3)
        js(d, "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))", slider, value)
    wait_for(d, "studio.stats.changeLatencyMs.length >= 4")
    latencies = js(d, "return studio.stats.changeLatencyMs")
    print("change heard after (ms):", [round(x) for x in latencies])
    assert max(latencies) < 250, latencies

    # A/B: switching keeps the same stream (no restart) and flips which path is heard.
    chunks, restarts = js(d, "return [studio.stats.chunks, studio.stats.restarts]")
    d.find_element(By.ID, "ab-a").click()
    assert d.find_element(By.ID, "ab-a").get_attribute("aria-pressed") == "true"
    assert js(d, "return studio.heard") == "original"
    time.sleep(0.3)
    d.find_element(By.ID, "ab-b").click()
    assert js(d, "return studio.heard") == "processed"
    wait_for(d, f"studio.stats.chunks > {chunks + 5}")
    assert js(d, "return studio.stats.restarts") == restarts, "switching A/B restarted the stream"

    # Plots follow playback.
    time.sleep(0.5)
    plots = js(d, "return studio.stats.plots")
    assert plots["eq"] > 10 and plots["spectrum"] > 10 and plots["map"] > 10
    t = js(d, "return studio.shown")
    assert len(t["target"]) == 100 and "colouration" in t and len(t["audio"]) == 2
    assert t["latencySamples"] == 0 and t["blockMicrosecondsMean"] > 0
    lit = js(d, """const c = document.getElementById('plot-eq').getContext('2d');
                   const p = c.getImageData(0, 0, c.canvas.width, c.canvas.height).data;
                   let n = 0; for (let i = 0; i < p.length; i += 4) if (p[i] > 200 && p[i+1] > 120 && p[i+2] < 120) n++;
                   return n;""")
    assert lit > 100, "the applied EQ curve is not drawn"
    assert "µs" in d.find_element(By.ID, "fig-block").text
    assert "0 samples" in d.find_element(By.ID, "fig-latency").text

    if os.environ.get("STUDIO_SCREENSHOT"):
        d.save_screenshot(os.environ["STUDIO_SCREENSHOT"])

    # One blind trial: sides hidden, answer stored with a p-value.
    d.find_element(By.ID, "blind-start").click()
    assert d.find_element(By.ID, "blind-trial").is_displayed()
    processed = js(d, "return studio.blind.processed")
    d.find_element(By.ID, "blind-b").click()
    assert js(d, "return studio.heard") == ("processed" if processed == "B" else "original")
    d.find_element(By.ID, "answer-a").click()
    wait_for(d, "document.querySelectorAll('#blind-summary tbody tr').length === 1")
    row = [c.text for c in d.find_elements(By.CSS_SELECTOR, "#blind-summary tbody td")]
    assert row[0] == "warm" and row[1] == "1"
    stored = (results / "blind-test.jsonl").read_text().splitlines()
    assert len(stored) == 1 and json.loads(stored[0])["processed"] == processed

    # The audio endpoint answers the page's own request form.
    status = js(d, """const q = controlQuery(); q.set('player', 'e2e-direct-check'); q.set('track', studio.track.id);
                      q.set('pos', '0'); q.set('frames', '1024');
                      return fetch('/api/chunk?' + q).then(r => r.status + ' ' + r.headers.get('content-type'));""")
    assert status == "200 application/octet-stream"
    d.find_element(By.ID, "play").click()
    assert not js(d, "return studio.playing")


def test_bad_upload_shows_a_message(server, browser, tmp_path):
    base, _ = server
    d = browser
    d.get(base + "/")
    wait_for(d, "document.body.dataset.ready === 'true'")
    bad = tmp_path / "not-audio.wav"
    bad.write_bytes(b"this is not a sound file" * 100)
    d.find_element(By.ID, "file").send_keys(str(bad))
    wait_for(d, "document.getElementById('message').textContent.includes('not a playable audio file')")
    # The server is still there.
    with urllib.request.urlopen(base + "/api/info") as r:
        assert r.status == 200


def test_chunk_round_trip(server):
    """Time of one playback request (1024 frames rendered and sent), as the page makes them."""
    base, _ = server
    times = []
    for i in range(200):
        url = f"{base}/api/chunk?player=round-trip-check&track=opening&term=warm&intensity=0.7&frames=1024&pos={i * 1024}"
        t = time.perf_counter()
        with urllib.request.urlopen(url) as r:
            assert r.status == 200 and len(r.read()) > 2 * 2 * 1024 * 4
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    print(f"chunk round trip (ms): median {times[100]:.1f}, p90 {times[180]:.1f}, max {times[-1]:.1f}")
    assert times[100] < 50


def test_any_word_and_a_reference(server, browser):
    """Enter in the search box takes any word or phrase (looked up as `process --term` does);
    no word gives the look-up's message; the track itself can be the reference; both play."""
    from selenium.webdriver.common.keys import Keys
    base, _ = server
    d = browser
    d.get(base + "/")
    wait_for(d, "document.body.dataset.ready === 'true'")
    search = d.find_element(By.ID, "word-search")
    search.send_keys("a bit hollow", Keys.ENTER)
    wait_for(d, "studio.words.some(w => w.word === 'a bit hollow')")
    index = js(d, "return studio.words.findIndex(w => w.word === 'a bit hollow')")
    assert js(d, "return studio.values.term") == index
    assert "inferred" in d.find_element(By.ID, "message").text
    selected = [o.text for o in d.find_elements(By.CSS_SELECTOR, "#word option") if o.is_selected()]
    assert selected and "inferred" in selected[0], selected
    search.send_keys("zzqxv", Keys.ENTER)
    wait_for(d, "document.getElementById('message').textContent.includes(\"unknown word 'zzqxv'\")")
    assert js(d, "return studio.values.term") == index
    d.find_element(By.ID, "reference").click()
    wait_for(d, "studio.words.some(w => w.source === 'reference')")
    assert js(d, "return studio.words[studio.values.term].source") == "reference"
    d.find_element(By.ID, "play").click()
    wait_for(d, "studio.stats.chunks >= 5")
    assert d.find_element(By.ID, "message").text.startswith("reference")
    d.find_element(By.ID, "play").click()
