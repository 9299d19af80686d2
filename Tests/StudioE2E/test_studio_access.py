"""Who may talk to `adaptive-eq studio`, checked in headless Chromium (Debian chromium +
chromium-driver, Python selenium).

The studio's own page still plays, uploads a file, exports and records a blind answer, both
as started by default and with --token (the token arrives in the printed URL and is kept in
a cookie). Another site open in the same browser can neither read nor change anything:
- a site whose name resolves to 127.0.0.1 (DNS rebinding; Chromium's --host-resolver-rules
  maps evil.example there) gets 403 from the Host check, for the page and for the API;
- another site's requests (fetch without CORS, text/plain POSTs, which need no preflight)
  reach the studio and get 403 from the Origin check, as Chromium's own network log shows.

Needs the release build (`swift build -c release`); $AEQ_BIN overrides the binary.
"""
import http.server
import json
import math
import struct
import subprocess
import threading
import urllib.error
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from studio_browser import BIN, chromium, free_port, js

FOREIGN = "evil.example"


@pytest.fixture(scope="module", params=["default", "token"])
def studio(request, tmp_path_factory):
    """A studio on a free loopback port: (printed URL, base URL, results folder)."""
    assert BIN.exists(), f"{BIN} not built (run swift build -c release)"
    results = tmp_path_factory.mktemp("studio-results")
    port = free_port()
    args = [str(BIN), "studio", "--port", str(port), "--results", str(results)]
    if request.param == "token":
        args.append("--token")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    base = f"http://127.0.0.1:{port}"
    assert line.startswith(f"adaptive-eq studio: serving {base}/"), line + proc.stderr.read()
    url = line.split()[3]
    assert ("?token=" in url) == (request.param == "token"), line
    yield url, base, results
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    driver = chromium(f"--host-resolver-rules=MAP {FOREIGN} 127.0.0.1", performance_log=True)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def foreign_site(tmp_path_factory):
    """Another site: an empty page served at http://evil.example:PORT/ (127.0.0.1 underneath)."""
    folder = tmp_path_factory.mktemp("foreign-site")
    (folder / "index.html").write_text("<!doctype html><title>another site</title><p>another site</p>")
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(folder), **k)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://{FOREIGN}:{server.server_address[1]}"
    server.shutdown()


def wav_file(path, seconds=1.0, rate=44100):
    """A 16-bit mono sine WAV written with the standard library."""
    n = int(seconds * rate)
    data = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(n))
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    path.write_bytes(header + b"data" + struct.pack("<I", len(data)) + data)
    return path


def wait_for(driver, script, timeout=30):
    WebDriverWait(driver, timeout).until(lambda d: d.execute_script("return " + script))


def answers(results):
    path = results / "blind-test.jsonl"
    return path.read_text().splitlines() if path.exists() else []


def tracks(base, url):
    """The studio's tracks, asked as a program on this machine would (with the token if any)."""
    query = url.split("?", 1)[1] if "?" in url else ""
    try:
        with urllib.request.urlopen(f"{base}/api/info?{query}") as r:
            return [t["name"] for t in json.load(r)["tracks"]]
    except urllib.error.HTTPError as e:
        raise AssertionError(f"/api/info: {e.code} {e.read().decode()}")


def test_own_page_plays_uploads_exports_and_answers(studio, browser, tmp_path):
    url, base, results = studio
    d = browser
    d.get(url)
    wait_for(d, "document.body.dataset.ready === 'true'")
    # The token went into a cookie scripts cannot read, and left the address bar.
    assert d.current_url == base + "/"
    assert js(d, "return document.cookie") == ""

    d.find_element(By.ID, "play").click()
    wait_for(d, "studio.stats.chunks >= 10")
    d.find_element(By.ID, "play").click()

    d.find_element(By.ID, "file").send_keys(str(wav_file(tmp_path / "sine.wav")))
    wait_for(d, "document.getElementById('message').textContent.includes('loaded')")
    assert js(d, "return studio.track.name") == "sine.wav"
    assert js(d, "return [studio.track.sampleRate, studio.track.frames]") == [44100, 44100]
    assert "sine.wav" in tracks(base, url)
    d.find_element(By.ID, "play").click()
    wait_for(d, "studio.stats.chunks >= 20")
    d.find_element(By.ID, "play").click()
    exported = js(d, """return fetch(document.getElementById('export').href)
                          .then(r => r.arrayBuffer().then(b => [r.status, r.headers.get('content-type'), b.byteLength]));""")
    assert exported[:2] == [200, "audio/wav"] and exported[2] > 44100 * 2

    before = len(answers(results))
    d.find_element(By.ID, "blind-start").click()
    d.find_element(By.ID, "answer-b").click()
    wait_for(d, "document.getElementById('blind-feedback').textContent.startsWith('Stored')")
    assert len(answers(results)) == before + 1
    assert json.loads(answers(results)[-1])["track"] == "sine.wav"


def test_rebound_name_is_refused(studio, browser):
    """A page at evil.example:PORT reaches the studio's socket but is refused by its Host."""
    _, base, _ = studio
    port = base.rsplit(":", 1)[1]
    d = browser
    d.get(f"http://{FOREIGN}:{port}/")
    text = d.find_element(By.TAG_NAME, "body").text
    assert f"Host '{FOREIGN}:{port}' is not this studio's address" in text, text
    assert "AdaptiveEQ" not in d.page_source
    replies = js(d, """return Promise.all(['/api/info', '/api/blind/results.csv', '/api/export?track=opening']
                          .map(p => fetch(p).then(r => r.text().then(t => [r.status, t]))));""")
    for status, body in replies:
        assert status == 403 and "is not this studio's address" in body


def test_another_site_changes_and_reads_nothing(studio, browser, foreign_site, tmp_path):
    url, base, results = studio
    d = browser
    d.get(foreign_site + "/")
    assert d.title == "another site"
    before_answers, before_tracks = answers(results), tracks(base, url)
    wav = list(wav_file(tmp_path / "drive-by.wav").read_bytes())
    d.get_log("performance")  # start the network log afresh
    outcome = js(d, """
        const [base, wav] = arguments;
        const answer = JSON.stringify({word: 'warm', intensity: 0.7, mode: 'adaptive', track: 'opening',
                                       processed: 'A', chosen: 'A'});
        // A no-cors answer is opaque at best; Chromium withholds it entirely when its
        // Cross-Origin-Resource-Policy forbids it ("Failed to fetch").
        const send = (path, options) => fetch(base + path, options).then(r => 'read', e => 'unreadable');
        const simple = (path, body) => send(path, {method: 'POST', mode: 'no-cors', headers: {'Content-Type': 'text/plain'}, body});
        return Promise.all([
          simple('/api/blind', answer),
          simple('/api/tracks', new Uint8Array(wav)),
          simple('/api/reference?track=opening', ''),
          send('/api/word?text=drive+by', {mode: 'no-cors'}),
          send('/api/export?track=opening', {mode: 'no-cors'}),
          send('/api/info', {}),
        ]);""", base, wav)
    print("another site's requests:", outcome)
    assert outcome[5] == "unreadable"
    # The requests reached the studio and were refused there: the status lines Chromium
    # received (it then withholds the responses from the page, as the same-origin policy,
    # and the studio's Cross-Origin-Resource-Policy, ask).
    # (Chromium may log a response's status line before the request it answers.)
    events = [json.loads(e["message"])["message"] for e in d.get_log("performance")]
    urls = {e["params"]["requestId"]: e["params"]["request"]["url"] for e in events
            if e["method"] == "Network.requestWillBeSent"}
    statuses = {}
    for e in events:
        requested = urls.get(e.get("params", {}).get("requestId"), "")
        if e["method"] == "Network.responseReceivedExtraInfo" and requested.startswith(base + "/api/"):
            statuses[requested[len(base):].split("?")[0]] = e["params"]["statusCode"]
    assert statuses == {p: 403 for p in ["/api/blind", "/api/tracks", "/api/reference", "/api/word", "/api/export",
                                         "/api/info"]}, statuses
    assert answers(results) == before_answers
    assert tracks(base, url) == before_tracks
    # A form posted from the other site (a navigation, no script needed) is refused too.
    js(d, """const f = document.createElement('form');
             f.method = 'POST'; f.action = arguments[0] + '/api/blind'; f.enctype = 'text/plain';
             const i = document.createElement('input'); i.name = '{"word":"warm","x":"'; i.value = '"}';
             f.appendChild(i); document.body.appendChild(f); f.submit();""", base)
    wait_for(d, "document.body.innerText.includes('refused')")
    assert answers(results) == before_answers


def test_exposed_studio_requires_the_token(tmp_path):
    """On every interface the CLI makes a token, prints it in the URL and requires it."""
    port = free_port()
    proc = subprocess.Popen([str(BIN), "studio", "--host", "0.0.0.0", "--port", str(port), "--results", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = line.split()[3]
        assert f":{port}/?token=" in url and len(url.split("token=")[1]) == 48, line
        token = url.split("token=")[1]
        base = f"http://127.0.0.1:{port}"
        for suffix, reason in [("", "needs its token"), ("?token=" + "0" * 48, "wrong token")]:
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(f"{base}/api/info{suffix}")
            assert refused.value.code == 403 and reason in json.load(refused.value)["error"]
        request = urllib.request.Request(f"{base}/api/info", headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(request) as r:
            assert r.status == 200 and "words" in json.load(r)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert "other machines can reach the studio" in proc.stderr.read()
