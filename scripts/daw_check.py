#!/usr/bin/env python3
"""The LV2 and VST3 plugins in a real DAW: Ardour 7, headless (ardour7-lua, its None/Dummy backend).

    scripts/daw_check.py [--bundle FOLDER] [--vst3-bundle AdaptiveEQ.vst3] [--formats lv2,vst3]
                         [--cli PATH] [--work FOLDER] [--tries N]

For each format and each case (static mode "warm" at intensity 1, adaptive mode "bright" at
0.7) it creates a 48 kHz session with one stereo track, gives the session file a source and a
whole-file region of a 6 s test clip (Ardour 7's Lua API has no import call), connects the
track to the master bus (new tracks are not) and turns the region's fades off (they add
64-sample ramps); then it inserts the plugin (LV2: urn:adaptive-eq:stereo by URI, LV2_PATH =
the bundle; VST3: "AdaptiveEQ"), sets term, intensity and mode with set_processor_param,
exports through a 32-bit float, no-dither, no-normalise preset (in a config folder given by
XDG_CONFIG_HOME; the default preset normalises and dithers), and compares the export with
`adaptive-eq process` on the same settings. Then it loads the saved session again and checks
the plugin and its settings came back.

LV2: set_processor_param counts every control port, inputs and outputs, in port order; the
indices are read from the bundle's TTL, never written here.

VST3: Ardour lists only the parameters it keeps (automatable or read-only), in the plugin's
order, and set_processor_param takes plain values in the ranges Ardour shows. The indices are
read from Ardour itself (scripts/daw/params.lua: index and label of each parameter) and
matched to the parameter table (`adaptive-eq parameters --json`) by name; word indices come
from `adaptive-eq terms --json` (the plugin lists the learnt words in the model's order, then
the typed-word slot), checked against the defaults Ardour reads from the plugin ("warm",
"bright"). Ardour finds VST3 bundles in ~/.vst3 (HOME is a scratch folder) and reads only its
scanner's cache: the scanner runs first, and since it exits with 0 even when a plugin fails,
its output must say "Found Plugin" and its cache file must exist. In the adaptive case every
control is then set to another value, the session saved, closed and loaded again, and each
control is checked twice: as Ardour shows it and in the plugin's own state (the component
state Ardour saves in the session, decoded). Ardour's Lua API cannot pass text to a
parameter, so the typed-word slot is checked by giving the static case's saved state a phrase
(the state format is documented in Sources/AdaptiveEQ/PluginState.swift), loading the session
and exporting again: the plugin must show the slot, save the phrase again and render what
`process --term PHRASE` renders.

Ardour 7.3's exporter crashes in some runs (exit 134/139, memory corruption when it closes
the file; 15-40 % of runs here): an export is accepted only from a zero exit status, and
the run is retried (from the saved pre-export session) up to --tries times.

Exit status 0 when every check passed, 1 otherwise, 77 when ardour7-lua is not installed.
"""
import argparse
import base64
import glob
import json
import os
import re
import shutil
import subprocess
import struct
import sys
import tempfile
import time
import uuid
import warnings
import xml.etree.ElementTree as ET

import numpy as np
from scipy.io import wavfile

warnings.filterwarnings("ignore", category=wavfile.WavFileWarning)  # Ardour's extra WAV chunks

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LUA = os.path.join(ROOT, "scripts", "daw")
URI = "urn:adaptive-eq:stereo"
VST3_NAME = "AdaptiveEQ"
SCANNER = "/usr/lib/ardour7/ardour-vst3-scanner"
SCANNER_LIBRARIES = "/usr/lib/ardour7"
# The mode list's entries (EqualiserMode's raw values, as the plugin lists them).
VST3_MODES = {"adaptive": 0, "static": 1, "manual": 2}
PHRASE = "a bit less muddy"  # put into the saved state's word (the typed-word slot)
RATE = 48_000
SECONDS = 6
ARDOUR = "ardour7-lua"

# (name, {control symbol: value, words and modes by label}, compare from (s), limit, why).
# Ardour runs the plugin all the time, also while the transport is stopped and before the
# export starts, on silence, for a time that differs from run to run; `process` starts at
# the clip's first sample. A limit is either on the largest sample difference ("max") or on
# the level of the difference relative to the signal ("residual", dB).
CASES = [
    ("static", {"mode": "static", "term": "warm", "intensity": 1.0, "loudness_match": 0.0}, 0.0, ("max", 1e-6),
     "static EQ without loudness matching: the filters hold no state after silence, so the "
     "silence before the export leaves nothing behind and both render the same samples"),
    ("adaptive", {"mode": "adaptive", "term": "bright", "intensity": 0.7}, 3.0, ("residual", -40.0),
     "the engine heard silence before the export and its 46 ms analysis grid is anchored to when "
     "Ardour started it; once its 2 s window holds only the clip (from 3 s) only the grid's "
     "phase differs, which moves the EQ by a fraction of a dB"),
]


CRASHES = []  # exit statuses of export runs that failed
EXPORTS = []  # the try on which each accepted export came


def log(text):
    print(text, flush=True)


def control_ports(ttl_text, uri):
    """Symbol -> (set_processor_param index, scale points {label: value}) for `uri`."""
    start = ttl_text.index("<%s>" % uri)
    following = ttl_text.find("\n<urn:", start + 1)
    block = ttl_text[start:following if following > 0 else len(ttl_text)]
    ports = []
    for part in re.split(r"(?=a lv2:(?:Input|Output)Port)", block):
        kind = re.search(r"a lv2:(Input|Output)Port, lv2:(\w+)Port", part)
        index = re.search(r"lv2:index (\d+)", part)
        symbol = re.search(r'lv2:symbol "([^"]+)"', part)
        if kind and index and symbol and kind.group(2) == "Control":
            points = {m.group(1): float(m.group(2))
                      for m in re.finditer(r'rdfs:label "([^"]+)" ; rdf:value ([-\d.]+)', part)}
            ports.append((int(index.group(1)), symbol.group(1), points))
    ports.sort()
    return {symbol: (n, points) for n, (_, symbol, points) in enumerate(ports)}


class Target:
    """One plugin format as Ardour loads it: `kind` names an ARDOUR.PluginType, `plugin` is
    what new_plugin takes, `index` maps a table symbol to set_processor_param's index,
    `labels` a symbol to {label: plain value} (words, modes), `ranges` a symbol to
    (lower, upper) as Ardour shows it (VST3 only: the every-control state check)."""

    def __init__(self, name, kind, plugin, env, index, labels, ranges=None, words=None):
        self.name, self.kind, self.plugin, self.env = name, kind, plugin, env
        self.index, self.labels, self.ranges, self.words = index, labels, ranges, words

    def plain(self, symbol, value):
        return self.labels[symbol][value] if isinstance(value, str) else value


def lv2_target(bundle, env):
    env = dict(env)
    bundle = os.path.abspath(bundle)  # lilv crashes on a relative LV2_PATH
    env["LV2_PATH"] = bundle + ":/usr/lib/lv2:/usr/local/lib/lv2"
    with open(os.path.join(bundle, "adaptive-eq.lv2", "adaptive-eq.ttl")) as f:
        ports = control_ports(f.read(), URI)
    log("lv2: set_processor_param indices from the TTL: " + ", ".join(
        "%s=%d" % (s, ports[s][0]) for s in ("term", "intensity", "mode")))
    return Target("lv2", "LV2", URI, env, {s: n for s, (n, _) in ports.items()},
                  {s: points for s, (_, points) in ports.items()})


def cli_json(cli, *args):
    status, output = run([cli, *args, "--json"], None)
    if status != 0:
        raise RuntimeError("adaptive-eq %s failed: %s" % (" ".join(args), output))
    return json.loads(output)


def vst3_target(bundle, cli, work, env, tries):
    """Installs the bundle in a scratch HOME's ~/.vst3, runs Ardour's scanner on it, and reads
    from Ardour which index each parameter has."""
    home = os.path.join(work, "home")
    installed = os.path.join(home, ".vst3", os.path.basename(os.path.normpath(bundle)))
    shutil.rmtree(installed, ignore_errors=True)
    shutil.copytree(bundle, installed)
    # The scanner dates its cache file with the module's time in whole seconds, and Ardour skips
    # a module newer than its cache (scan_log: scan-result 2), which one dated a fraction of a
    # second later is: the copy is dated on a whole second.
    stamp = int(time.time()) - 1
    for folder, _, files in os.walk(installed):
        for entry in [folder] + [os.path.join(folder, f) for f in files]:
            os.utime(entry, (stamp, stamp))
    env = dict(env, HOME=home)
    shutil.rmtree(os.path.join(home, ".cache"), ignore_errors=True)  # no cache from an earlier run
    status, output = run([SCANNER, "-f", "-v", installed], dict(env, LD_LIBRARY_PATH=SCANNER_LIBRARIES), timeout=60)
    caches = glob.glob(os.path.join(home, ".cache", "ardour7", "vst", "*.v3i"))
    if "Found Plugin: %s" % VST3_NAME not in output or len(caches) != 1:
        raise RuntimeError("Ardour's VST3 scanner did not accept %s (exit %d, cache files %d):\n%s" % (
            installed, status, len(caches), output[-2000:]))
    log("vst3: Ardour's scanner found %s (cache %s)" % (VST3_NAME, os.path.basename(caches[0])))
    scratch = os.path.join(work, "vst3-params")
    for attempt in range(1, tries + 1):
        shutil.rmtree(scratch, ignore_errors=True)  # create_session refuses an existing session
        status, output = run([ARDOUR, os.path.join(LUA, "params.lua"), "--", scratch, "VST3", VST3_NAME], env)
        if status == 0:
            break
        log("  vst3: parameters: ardour7-lua exited with %d (try %d of %d):\n%s" % (
            status, attempt, tries, output[-1500:]))
    else:
        raise RuntimeError("Ardour did not list the plugin's parameters")
    listed = {}
    for line in output.splitlines():
        if line.startswith("param\t"):
            _, i, is_input, lower, upper, normal, label = line.split("\t", 6)
            if is_input == "true":
                listed[label] = (int(i), float(lower), float(upper), float(normal))
    table = cli_json(cli, "parameters")
    names = {e["name"]: e["symbol"] for e in table["controls"] + table["eq"]}
    # The VST3 plugin offers `enabled` as the host's bypass switch (1 = bypassed).
    names["Bypass"] = names.pop("Enabled")
    missing = sorted(n for n in names if n not in listed)
    if missing:
        raise RuntimeError("Ardour does not list these parameters as inputs: %s (it lists %s)" % (
            ", ".join(missing), ", ".join(listed)))
    index = {names[n]: listed[n][0] for n in names}
    ranges = {names[n]: listed[n][1:3] for n in names}
    words = [t["word"] for t in cli_json(cli, "terms", "--all")["terms"]]
    # The word list is the learnt words, then the typed-word slot; its defaults are "warm" and
    # "bright". Checked against what Ardour read from the plugin, so the indices are not guesses.
    for symbol, default in (("term", "warm"), ("term_b", "bright")):
        _, lower, upper, normal = listed[next(n for n in names if names[n] == symbol)]
        if (lower, upper, normal) != (0, len(words), words.index(default)):
            raise RuntimeError("%s: Ardour shows %g…%g, default %g; `adaptive-eq terms` gives %d words, %s at %d" % (
                symbol, lower, upper, normal, len(words), default, words.index(default)))
    if ranges["mode"] != (0, max(VST3_MODES.values())):
        raise RuntimeError("mode: Ardour shows %g…%g, expected 0…%d" % (*ranges["mode"], max(VST3_MODES.values())))
    log("vst3: set_processor_param indices from Ardour: " + ", ".join(
        "%s=%d" % (s, index[s]) for s in ("term", "intensity", "mode", "loudness_match", "enabled")) +
        " (%d inputs)" % len(index))
    word_values = {w: i for i, w in enumerate(words)}
    return Target("vst3", "VST3", VST3_NAME, env, index,
                  {"term": word_values, "term_b": word_values, "mode": VST3_MODES}, ranges, words)


def run(args, env, timeout=180):
    r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout + r.stderr


def ardour(script, args, env, tries, what):
    """Runs a Lua script; retries a non-zero exit (the exporter's crashes)."""
    for attempt in range(1, tries + 1):
        status, output = run([ARDOUR, os.path.join(LUA, script), "--"] + args, env)
        if status == 0:
            return attempt, output
        log("  %s: ardour7-lua exited with %d (try %d of %d)%s" % (
            what, status, attempt, tries, "; retrying" if attempt < tries else ""))
    raise RuntimeError("%s failed %d times; last output:\n%s" % (what, tries, output[-2000:]))


def write_export_format(config):
    """A float, no-dither, no-normalise WAV export preset in XDG_CONFIG_HOME; returns its id."""
    folder = os.path.join(config, "ardour7", "export")
    os.makedirs(folder, exist_ok=True)
    format_id, preset_id = str(uuid.uuid4()), str(uuid.uuid4())
    with open(os.path.join(folder, "aeq-float.format"), "w") as f:
        f.write(f"""<?xml version="1.0" encoding="UTF-8"?>
<ExportFormatSpecification name="aeq float" id="{format_id}" with-cue="false" with-toc="false" with-mp4chaps="false" command="" analyse="false" soundcloud-upload="false">
  <Encoding id="F_WAV" type="T_Sndfile" extension="wav" name="WAV" has-sample-format="true" channel-limit="256"/>
  <SampleRate rate="1"/>
  <SRCQuality quality="SRC_SincBest"/>
  <EncodingOptions>
    <Option name="sample-format" value="SF_Float"/>
    <Option name="dithering" value="D_None"/>
    <Option name="tag-metadata" value="false"/>
    <Option name="tag-support" value="false"/>
    <Option name="broadcast-info" value="false"/>
  </EncodingOptions>
  <Processing>
    <Normalize enabled="false" loudness="no" dbfs="0" lufs="-23" dbtp="-1"/>
    <Silence>
      <Start><Trim enabled="false"/><Add enabled="false"><Duration format="Timecode" hours="0" minutes="0" seconds="0" frames="0"/></Add></Start>
      <End><Trim enabled="false"/><Add enabled="false"><Duration format="Timecode" hours="0" minutes="0" seconds="0" frames="0"/></Add></End>
    </Silence>
  </Processing>
</ExportFormatSpecification>
""")
    with open(os.path.join(folder, "aeq-float.preset"), "w") as f:
        f.write(f"""<?xml version="1.0" encoding="UTF-8"?>
<ExportPreset id="{preset_id}" name="aeq float">
  <ExportFormat id="{format_id}"/>
  <ExportFilename>
    <Folder relative="1" path="export"/>
    <Field name="label" enabled="1"/>
    <Field name="session" enabled="0"/>
    <Field name="snapshot" enabled="0"/>
    <Field name="timespan" enabled="0"/>
    <Field name="revision" enabled="0"/>
    <Field name="time" enabled="0" value="T_None"/>
    <Field name="date" enabled="0" value="D_None"/>
  </ExportFilename>
</ExportPreset>
""")
    return preset_id


def add_clip(session_folder, name, clip, frames):
    """Gives the session file the clip as two sources (one per channel), a whole-file region
    and that region on the track's playlist (fades off), and connects the track to the
    master bus."""
    shutil.copy(clip, os.path.join(session_folder, "interchange", name, "audiofiles", "clip.wav"))
    path = os.path.join(session_folder, name + ".ardour")
    tree = ET.parse(path)
    session = tree.getroot()
    next_id = int(session.get("id-counter"))

    def new_id():
        nonlocal next_id
        next_id += 1
        return str(next_id)

    sources = session.find("Sources")
    source_ids = []
    for channel in range(2):
        source_ids.append(new_id())
        ET.SubElement(sources, "Source", {
            "name": "clip.wav", "type": "audio", "flags": "", "id": source_ids[-1], "captured-for": "",
            "take-id": "", "channel": str(channel), "origin": "", "gain": "1"})

    def region(whole_file):
        return {
            "name": "clip", "muted": "0", "opaque": "1", "locked": "0", "video-locked": "0", "automatic": "0",
            "whole-file": "1" if whole_file else "0", "import": "0", "external": "0", "sync-marked": "0",
            "left-of-split": "0", "right-of-split": "0", "hidden": "0", "position-locked": "0",
            "valid-transients": "0", "start": "0", "length": str(frames), "position": "0",
            "sync-position": "0", "ancestral-start": "0", "ancestral-length": "0", "stretch": "1", "shift": "1",
            "layering-index": "0", "envelope-active": "0", "default-fade-in": "0", "default-fade-out": "0",
            "fade-in-active": "0", "fade-out-active": "0", "scale-amplitude": "1", "id": new_id(),
            "type": "audio", "first-edit": "nothing", "source-0": source_ids[0], "source-1": source_ids[1],
            "master-source-0": source_ids[0], "master-source-1": source_ids[1], "channels": "2"}

    ET.SubElement(session.find("Regions"), "Region", region(True))
    playlist = next(p for p in session.find("Playlists") if p.get("name") == "clip")
    ET.SubElement(playlist, "Region", region(False))
    route = next(r for r in session.find("Routes") if r.get("name") == "clip")
    outputs = next(io for io in route.findall("IO") if io.get("direction") == "Output")
    for n, port in enumerate(outputs.findall("Port"), start=1):
        ET.SubElement(port, "Connection", {"other": "Master/audio_in %d" % n})
    session.set("id-counter", str(next_id))
    tree.write(path, encoding="UTF-8", xml_declaration=True)


def test_clip(path):
    """6 s of stereo noise with a few tones, -12 dBFS-ish, 32-bit float."""
    rng = np.random.default_rng(14)
    t = np.arange(SECONDS * RATE) / RATE
    x = np.stack([0.08 * rng.standard_normal(t.size) + 0.1 * np.sin(2 * np.pi * 110 * t)
                  + 0.05 * np.sin(2 * np.pi * (2500 + 700 * c) * t) for c in range(2)], axis=1)
    wavfile.write(path, RATE, x.astype(np.float32))
    return t.size


def session_state(path):
    """The plugin's component state in a saved session: Ardour keeps it base64-encoded in
    the VST3 processor's <chunk>, in the VST3 preset-file layout ("VST3", version, class id,
    offset of the chunk list; the list "List", count, entries of id, offset, size)."""
    chunk = ET.parse(path).getroot().find(".//Processor[@type='vst3']/vst3/chunk")
    if chunk is None:
        raise RuntimeError("%s holds no VST3 plugin state" % path)
    blob = base64.b64decode(chunk.text)
    (list_at,) = struct.unpack_from("<q", blob, 40)
    if blob[:4] != b"VST3" or blob[list_at:list_at + 4] != b"List":
        raise RuntimeError("%s: not a VST3 preset chunk" % path)
    (count,) = struct.unpack_from("<i", blob, list_at + 4)
    for n in range(count):
        tag, at, size = struct.unpack_from("<4sqq", blob, list_at + 8 + 20 * n)
        if tag == b"Comp":
            return blob, at, size
    raise RuntimeError("%s: no component state in the chunk" % path)


def decode_state(state):
    """{key: value} of an AEQS blob (Sources/AdaptiveEQ/PluginState.swift): numbers as
    floats, words as text, arrays as lists."""
    if state[:4] != b"AEQS":
        raise RuntimeError("not an AdaptiveEQ state")
    _, count = struct.unpack_from("<HH", state, 4)
    values, at = {}, 8
    for _ in range(count):
        kind, length = state[at], state[at + 1]
        key = state[at + 2:at + 2 + length].decode("ascii")
        at += 2 + length
        if kind == 0:
            values[key] = struct.unpack_from("<f", state, at)[0]
            at += 4
        elif kind == 1:
            (size,) = struct.unpack_from("<H", state, at)
            values[key] = state[at + 2:at + 2 + size].decode("utf-8")
            at += 2 + size
        else:
            (size,) = struct.unpack_from("<H", state, at)
            values[key] = list(struct.unpack_from("<%df" % size, state, at + 2))
            at += 2 + 4 * size
    return values


def with_word(path, word):
    """Rewrites the session's plugin state so its word is `word` (the state's other entries
    and the chunk's layout kept; offsets after the state moved by the size change)."""
    tree = ET.parse(path)
    chunk = tree.getroot().find(".//Processor[@type='vst3']/vst3/chunk")
    blob, at, size = session_state(path)
    state = blob[at:at + size]
    key = b"\x01\x04term"
    start = state.index(key) + len(key)
    (old,) = struct.unpack_from("<H", state, start)
    text = word.encode("utf-8")
    state = state[:start] + struct.pack("<H", len(text)) + text + state[start + 2 + old:]
    list_at = at + size
    listing = bytearray(blob[list_at:])
    (count,) = struct.unpack_from("<i", listing, 4)
    for n in range(count):
        tag, entry_at, entry_size = struct.unpack_from("<4sqq", listing, 8 + 20 * n)
        if tag == b"Comp":
            entry_size = len(state)
        elif entry_at > at:
            entry_at += len(state) - size
        struct.pack_into("<4sqq", listing, 8 + 20 * n, tag, entry_at, entry_size)
    blob = blob[:40] + struct.pack("<q", at + len(state)) + blob[48:at] + state + bytes(listing)
    chunk.text = base64.b64encode(blob).decode("ascii")
    tree.write(path, encoding="UTF-8", xml_declaration=True)


def other_values(target, case_settings):
    """A value for every control other than its default and the case's: the first learnt
    words other than those, manual mode, bypassed, loudness matching off, and each continuous
    control at (31 + its index) % of its range."""
    spare = iter(w for w in target.words if w not in ("warm", "bright"))
    values = {}
    for n, symbol in enumerate(sorted(target.index, key=target.index.get)):
        lower, upper = target.ranges[symbol]
        if symbol in ("term", "term_b"):
            values[symbol] = float(target.words.index(next(spare)))
        elif symbol == "mode":
            values[symbol] = float(VST3_MODES["manual"])
        elif symbol in ("enabled", "loudness_match"):
            values[symbol] = 1.0 - case_settings.get(symbol, 1.0 if symbol == "loudness_match" else 0.0)
        else:
            values[symbol] = float(np.float32(lower + (upper - lower) * (0.31 + 0.01 * n)))
    return values


def state_value(target, symbol, state):
    """The plain value (as Ardour shows it) a decoded state holds for `symbol`."""
    if symbol in ("term", "term_b"):
        return float(target.words.index(state[symbol])) if state[symbol] in target.words else None
    if symbol == "enabled":
        return 1.0 - state[symbol]  # the bypass switch
    return state[symbol]


def shown_values(output):
    """{index: value} of the "INDEX=VALUE ok=true" lines the Lua scripts print."""
    return {int(m.group(1)): float(m.group(2)) for m in re.finditer(r"^(\d+)=(\S+) ok=true$", output, re.M)}


def check_every_control(target, label, folder, session, values, tries):
    """After save, close and reload: each control as Ardour shows it and in the plugin's own
    state (which Ardour restores the plugin from, and saves again from it)."""
    symbols = sorted(values, key=target.index.get)
    _, output = ardour("read.lua", [folder, session, "reloaded"] + [str(target.index[s]) for s in symbols],
                       target.env, tries, label + ": reload")
    shown = shown_values(output)
    state = decode_state(slice_state(os.path.join(folder, "reloaded.ardour")))
    bad = []
    for symbol in symbols:
        held = state_value(target, symbol, state)
        lower, upper = target.ranges[symbol]
        limit = 1e-6 * (upper - lower)  # Ardour keeps normalised values as 32-bit floats
        back = shown.get(target.index[symbol])
        if back is None or held is None or abs(back - values[symbol]) > limit or abs(held - values[symbol]) > limit:
            bad.append("%s: set %r, Ardour shows %r, the plugin holds %r" % (symbol, values[symbol], back, held))
    log("  %s: every control (%d) set to another value after the export, saved, closed, reloaded: %s" % (
        label, len(symbols), "each came back, in Ardour and in the plugin's state (words '%s', '%s')" % (
            state["term"], state["term_b"]) if not bad else "; ".join(bad)))
    return not bad


def slice_state(path):
    blob, at, size = session_state(path)
    return blob[at:at + size]


def exported(label, script, args, out, env, tries, restore):
    """Runs an export script until it exits with 0 and leaves one WAV in `out` (Ardour 7.3's
    exporter crashes in some runs); `restore` puts the session file back before each try.
    Returns the samples, their rate, the script's output and the try that succeeded."""
    for attempt in range(1, tries + 1):
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        restore()
        status, output = run([ARDOUR, os.path.join(LUA, script), "--"] + args, env)
        files = [f for f in os.listdir(out) if f.endswith(".wav")]
        if status == 0 and len(files) == 1:
            EXPORTS.append(attempt)
            rate, samples = wavfile.read(os.path.join(out, files[0]))
            return samples, rate, output, attempt
        CRASHES.append(status)
        log("  %s: export run exited with %d, %d file(s) (try %d of %d)" % (label, status, len(files), attempt, tries))
    raise RuntimeError("%s: no export after %d tries; last output:\n%s" % (label, tries, output[-2000:]))


def cli_flags(controls):
    flags = []
    for symbol, value in controls.items():
        flag = {"mode": "--mode", "term": "--term", "intensity": "--intensity", "loudness_match": "--loudness-match"}[symbol]
        flags += [flag, ("on" if value else "off") if symbol == "loudness_match" else str(value)]
    return flags


def compare(label, exported, rate, attempt, controls, clip, work, env, cli, compare_from, tolerance, why):
    """The export against `adaptive-eq process` on the same settings, from `compare_from` s."""
    flags = cli_flags(controls)
    reference_path = os.path.join(work, label.replace(" ", "-") + "-process.wav")
    status, output = run([cli, "process", clip, reference_path, "--force"] + flags, env)
    if status != 0:
        raise RuntimeError("adaptive-eq process failed: " + output)
    _, reference = wavfile.read(reference_path)
    if rate != RATE or exported.dtype != np.float32 or exported.shape != reference.shape:
        log("  %s: export is %s %s at %d Hz, expected float32 %s at %d Hz" % (
            label, exported.dtype, exported.shape, rate, reference.shape, RATE))
        return False
    first = int(compare_from * RATE)
    exported, reference = exported.astype(np.float64)[first:], reference.astype(np.float64)
    original = wavfile.read(clip)[1].astype(np.float64)

    def level(x, relative_to):
        return 20 * np.log10(max(np.sqrt(np.mean(x ** 2)) / np.sqrt(np.mean(relative_to ** 2)), 1e-30))

    largest = float(np.max(np.abs(exported - reference[first:])))
    residual = level(exported - reference[first:], reference[first:])
    effect = level(reference - original, reference)
    kind, limit = tolerance
    log("  %s (%s): export accepted on try %d; from %.1f s: max |Ardour - process| = %.3g, difference %s "
        "(the plugin's own change: %.1f dB re the signal); limit: %s %s, because %s" % (
            label, " ".join(flags), attempt, compare_from, largest,
            "none" if largest == 0 else "at %.1f dB re the signal" % residual, effect, kind, limit, why))
    return (largest <= limit if kind == "max" else residual <= limit) and effect > -40


def check_phrase(case, target, label, folder, session, clip, frames, work, env, cli, tries):
    """The word as a typed phrase. Ardour's Lua API cannot pass text to a parameter, so the
    phrase goes into the saved session's plugin state, which Ardour hands to the plugin on
    load: the plugin must show the typed-word slot, hold the phrase in the state it saves,
    and render what `process --term PHRASE` renders."""
    name, controls, compare_from, tolerance, why = case
    label += " phrase"
    path = os.path.join(folder, session + ".ardour")
    with_word(path, PHRASE)
    keep = path + ".phrase"
    shutil.copy(path, keep)
    samples, rate, output, attempt = exported(
        label, "export.lua", [folder, session, env["AEQ_PRESET"], os.path.join(work, session + "-phrase-export"),
                              str(frames), "phrase", str(target.index["term"])],
        os.path.join(work, session + "-phrase-export"), env, tries, lambda: shutil.copy(keep, path))
    shown = shown_values(output).get(target.index["term"])
    held = decode_state(slice_state(os.path.join(folder, "phrase.ardour")))["term"]
    log("  %s: the saved state's word set to '%s' and the session loaded: Ardour shows word %r (the typed-word "
        "slot is %d); the plugin's state saved again holds '%s'" % (label, PHRASE, shown, len(target.words), held))
    ok = shown == len(target.words) and held == PHRASE
    return ok & compare(label, samples, rate, attempt, dict(controls, term=PHRASE), clip, work, env, cli,
                        compare_from, tolerance, why)


def check_case(case, target, clip, frames, work, env, cli, tries):
    name, controls, compare_from, tolerance, why = case
    label = "%s %s" % (target.name, name)
    session = "%s-%s" % (target.name, name)  # Ardour names the session's media folder after its folder
    folder = os.path.join(work, session)
    env = dict(env, **target.env)
    ardour("create.lua", [folder, session], env, tries, label + ": create")
    add_clip(folder, session, clip, frames)
    path = os.path.join(folder, session + ".ardour")
    pristine = os.path.join(work, session + ".ardour.pristine")
    shutil.copy(path, pristine)
    settings = {s: target.plain(s, v) for s, v in controls.items()}
    params = ["%d=%r" % (target.index[s], v) for s, v in settings.items()]
    # VST3, adaptive case: every control moved after the export, checked after a reload.
    later = other_values(target, settings) if target.ranges and name == "adaptive" else None
    if later:
        params += ["then"] + ["%d=%r" % (target.index[s], v) for s, v in later.items()]
    out = os.path.join(work, session + "-export")
    samples, rate, _, attempt = exported(
        label, "render.lua", [folder, session, target.kind, target.plugin, env["AEQ_PRESET"], out, str(frames)] + params,
        out, env, tries, lambda: shutil.copy(pristine, path))
    ok = compare(label, samples, rate, attempt, controls, clip, work, env, cli, compare_from, tolerance, why)
    if later:
        return ok & check_every_control(target, label, folder, session, later, tries)
    # The saved session, loaded again, has the plugin with the same settings.
    _, output = ardour("read.lua", [folder, session, "-"] + [str(target.index[s]) for s in settings], env, tries,
                       label + ": reload")
    shown = shown_values(output)
    for symbol, value in settings.items():
        back = shown.get(target.index[symbol])
        log("  %s: after save, close and reload: %s = %s (set %r)" % (label, symbol, back, value))
        ok &= back is not None and abs(back - value) < 1e-6
    if target.words and "term" in controls:
        ok &= check_phrase(case, target, label, folder, session, clip, frames, work, env, cli, tries)
    return ok


def built(script, option):
    """Builds a bundle with scripts/SCRIPT --no-install; returns the path it prints last."""
    r = subprocess.run([os.path.join(ROOT, "scripts", script), "--no-install"], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s failed (or give %s):\n%s" % (script, option, r.stderr[-3000:]))
    return r.stdout.strip().splitlines()[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bundle", help="folder holding adaptive-eq.lv2 (default: scripts/build-lv2.sh --no-install)")
    parser.add_argument("--vst3-bundle", help="the AdaptiveEQ.vst3 folder (default: scripts/build-vst3.sh --no-install)")
    parser.add_argument("--formats", default="lv2,vst3", help="plugin formats to check (default: lv2,vst3)")
    parser.add_argument("--cli", default=os.path.join(ROOT, ".build", "release", "adaptive-eq"))
    parser.add_argument("--work", help="keep the sessions here (default: a temporary folder)")
    parser.add_argument("--tries", type=int, default=6)
    args = parser.parse_args()
    formats = args.formats.split(",")
    if not set(formats) <= {"lv2", "vst3"}:
        parser.error("--formats takes lv2, vst3 or both, comma-separated")
    if shutil.which(ARDOUR) is None:
        print("skip: %s not installed (apt-get install ardour)" % ARDOUR, file=sys.stderr)
        return 77
    if not os.access(args.cli, os.X_OK):
        print("error: %s is not built (swift build -c release)" % args.cli, file=sys.stderr)
        return 1
    work = os.path.abspath(args.work or tempfile.mkdtemp(prefix="aeq-daw-"))
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ)
    env["XDG_CONFIG_HOME"] = os.path.join(work, "config")
    env["AEQ_PRESET"] = write_export_format(env["XDG_CONFIG_HOME"])
    clip = os.path.join(work, "clip.wav")
    frames = test_clip(clip)
    ok = True
    for kind in formats:
        started = time.monotonic()
        try:
            if kind == "lv2":
                target = lv2_target(args.bundle or os.path.dirname(built("build-lv2.sh", "--bundle")), env)
            else:
                bundle = os.path.abspath(args.vst3_bundle or built("build-vst3.sh", "--vst3-bundle"))
                target = vst3_target(bundle, args.cli, work, env, args.tries)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            log("%s: %s" % (kind, e))
            ok = False
            continue
        for case in CASES:
            try:
                ok &= check_case(case, target, clip, frames, work, env, args.cli, args.tries)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                log("  %s %s: %s" % (kind, case[0], e))
                ok = False
        log("%s: checked in %.0f s" % (kind, time.monotonic() - started))
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    log("export runs: %d, failed: %d (exit statuses %s)" % (
        len(EXPORTS) + len(CRASHES), len(CRASHES), sorted(set(CRASHES)) or "-"))
    log("daw check: " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
