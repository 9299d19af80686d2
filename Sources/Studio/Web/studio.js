// The studio page: streams the engine's output in short chunks from the server and plays
// them back to back with Web Audio. Each chunk carries the original and the processed
// audio of the same frames, both always playing, so A/B only switches two gains (same
// position, no gap). Controls are read at every chunk request, so a change is heard after
// the audio already queued (LEAD_SECONDS) has played.
"use strict";

const LEAD_SECONDS = 0.06;   // audio queued ahead of the playhead (plus one chunk)
const $ = (id) => document.getElementById(id);

const studio = {
  info: null, track: null, words: [], controls: {}, values: {},
  player: Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join(""),
  ctx: null, playing: false, busy: false, nextPosition: 0, nextTime: 0, queue: [],
  heard: "processed", match: true, energy: { input: 0, output: 0 },
  change: { serial: 0, at: 0, pending: false }, stats: { chunks: 0, restarts: 0, changeLatencyMs: [], plots: { eq: 0, spectrum: 0, map: 0 } },
  blind: null, shown: null,
};
window.studio = studio;

function message(text, ok) { $("message").textContent = text || ""; $("message").className = "message" + (ok ? " ok" : ""); }
function status(text) { $("status").textContent = text; }
async function fetchJSON(url, options) {
  const r = await fetch(url, options);
  const body = await r.json().catch(() => ({ error: "unreadable reply (" + r.status + ")" }));
  if (!r.ok) throw new Error(body.error || "request failed (" + r.status + ")");
  return body;
}

// ---- controls, generated from the parameter table --------------------------------------

function formatValue(p, v) {
  if (p.kind === "enumeration") return p.options[Math.round(v)];
  if (p.kind === "toggle") return v >= 0.5 ? "on" : "off";
  return (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)) + (p.unit ? " " + p.unit : "");
}

function buildControls() {
  const box = $("generated");
  for (const p of studio.info.controls) {
    studio.values[p.symbol] = p.default;
    if (p.symbol === "term") continue;  // the searchable word list above
    const div = document.createElement("div");
    div.className = "control"; div.title = p.summary;
    const label = document.createElement("label");
    label.htmlFor = "control-" + p.symbol;
    label.textContent = p.name;
    const value = document.createElement("span"); value.className = "value";
    label.appendChild(value);
    let input;
    if (p.kind === "vocabulary") {
      input = document.createElement("select");
      input.appendChild(new Option("—", "-1"));
      studio.words.forEach((w, i) => input.appendChild(new Option(w.word, String(i))));
      studio.values[p.symbol] = -1;
      input.onchange = () => setValue(p.symbol, Number(input.value));
    } else if (p.kind === "enumeration") {
      input = document.createElement("select");
      p.options.forEach((o, i) => input.appendChild(new Option(o, String(i))));
      input.value = String(p.default);
      input.onchange = () => setValue(p.symbol, Number(input.value));
    } else if (p.kind === "toggle") {
      input = document.createElement("input"); input.type = "checkbox"; input.checked = p.default >= 0.5;
      input.onchange = () => setValue(p.symbol, input.checked ? 1 : 0);
    } else {
      input = document.createElement("input"); input.type = "range";
      input.min = p.min; input.max = p.max; input.value = p.default;
      input.step = (p.max - p.min) / 200;
      input.oninput = () => setValue(p.symbol, Number(input.value));
    }
    input.id = "control-" + p.symbol;
    studio.controls[p.symbol] = { p, input, value };
    value.textContent = p.kind === "vocabulary" || p.kind === "enumeration" ? "" : formatValue(p, p.default);
    div.append(label, input);
    box.appendChild(div);
  }
}

function setValue(symbol, v) {
  studio.values[symbol] = v;
  const c = studio.controls[symbol];
  if (c && c.p.kind !== "vocabulary" && c.p.kind !== "enumeration") c.value.textContent = formatValue(c.p, v);
  studio.change = { serial: studio.change.serial + 1, at: studio.ctx ? studio.ctx.currentTime : 0, pending: studio.playing };
  updateExportLink();
}

function controlQuery() {
  const q = new URLSearchParams();
  for (const p of studio.info.controls) {
    const v = studio.values[p.symbol];
    if (p.kind === "vocabulary") {
      if (p.symbol === "term_b" && v < 0) { continue; }
      q.set(p.symbol, studio.words[v].word);
    } else q.set(p.symbol, String(v));
  }
  if (studio.values.term_b < 0) q.set("blend", "0");
  return q;
}

// ---- word picker ------------------------------------------------------------------------

function fillWordList() {
  const filter = $("word-search").value.trim().toLowerCase(), list = $("word");
  list.innerHTML = "";
  studio.words.forEach((w, i) => {
    if (filter && !w.word.includes(filter)) return;
    // Learnt words that describe no timbre (or too few people stand behind) show only when searched for.
    if (!filter && w.descriptive === false && i !== studio.values.term) return;
    const support = w.source === "learnt" || !w.source ? w.safeRows + " · " + (w.audealizeContributors || 0) : w.source;
    const o = new Option(w.word + "   (" + support + ")", String(i));
    o.selected = i === studio.values.term;
    list.appendChild(o);
  });
}

// Any word or phrase (Enter in the search box), or the current track as a reference: the
// server looks it up as `adaptive-eq process --term` does and adds it to the list.
async function addWord(url, options) {
  try {
    const r = await fetchJSON(url, options);
    studio.words = r.words;
    setValue("term", r.index);
    $("word-search").value = "";
    fillWordList();
    const w = studio.words[r.index];
    message(w.provenance ? w.word + ": " + w.provenance : w.word + ": learnt word", true);
  } catch (e) { message(e.message); }
}

function searchKey(e) {
  if (e.key !== "Enter") return;
  const text = $("word-search").value.trim();
  if (!text) return;
  const known = studio.words.findIndex((w) => w.word === text.toLowerCase());
  if (known >= 0) { setValue("term", known); fillWordList(); return; }
  addWord("/api/word?text=" + encodeURIComponent(text));
}

// ---- tracks, upload, export ---------------------------------------------------------------

function showTracks(tracks, selectID) {
  const select = $("track");
  select.innerHTML = "";
  for (const t of tracks) select.appendChild(new Option(t.name + " (" + t.seconds.toFixed(1) + " s, " + t.channels + " ch, " + t.sampleRate + " Hz)", t.id));
  studio.tracks = tracks;
  selectTrack(selectID || tracks[0].id);
}

function selectTrack(id) {
  stop();
  studio.track = studio.tracks.find((t) => t.id === id);
  $("track").value = id;
  studio.nextPosition = 0;
  $("seek").value = 0;
  updateExportLink();
}

function updateExportLink() {
  if (!studio.track) return;
  const q = controlQuery(); q.set("track", studio.track.id);
  $("export").href = "/api/export?" + q.toString();
}

async function upload(file) {
  if (file.size > studio.info.maximumUploadBytes) {
    message("“" + file.name + "” is larger than the upload limit of " + (studio.info.maximumUploadBytes >> 20) + " MB");
    return;
  }
  message("decoding “" + file.name + "”…", true);
  try {
    const t = await fetchJSON("/api/tracks", { method: "POST", body: file, headers: { "X-File-Name": encodeURIComponent(file.name) } });
    const info = await fetchJSON("/api/info");
    showTracks(info.tracks, t.id);
    message("loaded “" + t.name + "”", true);
  } catch (e) { message("“" + file.name + "”: " + e.message); }
}

// ---- playback -------------------------------------------------------------------------------

function audioGraph() {
  if (studio.ctx) return;
  const ctx = new AudioContext();
  studio.ctx = ctx;
  studio.dryGain = ctx.createGain(); studio.wetGain = ctx.createGain(); studio.matchGain = ctx.createGain();
  studio.inputAnalyser = ctx.createAnalyser(); studio.outputAnalyser = ctx.createAnalyser();
  for (const a of [studio.inputAnalyser, studio.outputAnalyser]) { a.fftSize = 4096; a.smoothingTimeConstant = 0.7; }
  const silent = ctx.createGain(); silent.gain.value = 0;  // keeps the analysers pulled
  studio.inputAnalyser.connect(silent); studio.outputAnalyser.connect(silent); silent.connect(ctx.destination);
  studio.dryGain.connect(ctx.destination);
  studio.matchGain.connect(studio.wetGain); studio.wetGain.connect(ctx.destination);
  hear(studio.heard);
}

function hear(which) {
  studio.heard = which;
  if (!studio.blind) {
    $("ab-a").setAttribute("aria-pressed", String(which === "original"));
    $("ab-b").setAttribute("aria-pressed", String(which === "processed"));
  }
  if (!studio.ctx) return;
  const t = studio.ctx.currentTime;
  studio.dryGain.gain.setTargetAtTime(which === "original" ? 1 : 0, t, 0.003);
  studio.wetGain.gain.setTargetAtTime(which === "processed" ? 1 : 0, t, 0.003);
}

async function play() {
  audioGraph();
  await studio.ctx.resume();
  studio.playing = true;
  studio.nextTime = studio.ctx.currentTime + 0.03;
  $("play").textContent = "Stop";
  studio.timer = setInterval(pump, 10);
  pump();
}

function stop() {
  studio.playing = false;
  clearInterval(studio.timer);
  for (const q of studio.queue) { q.dry.stop(); q.wet.stop(); }
  if (studio.queue.length) studio.nextPosition = currentPosition();
  studio.queue = [];
  $("play").textContent = "Play";
}

function chunkFrames() { return Math.round(studio.track.sampleRate * 0.0232); }  // 1024 frames at 44.1 kHz

async function pump() {
  if (!studio.playing || studio.busy) return;
  const ctx = studio.ctx;
  while (studio.queue.length && studio.queue[0].end < ctx.currentTime) studio.queue.shift();
  if (studio.nextTime - ctx.currentTime > LEAD_SECONDS) return;
  studio.busy = true;
  try {
    const track = studio.track, serial = studio.change.serial;
    if (studio.nextPosition >= track.frames) studio.nextPosition = 0;  // loop
    const q = controlQuery();
    q.set("player", studio.player); q.set("track", track.id);
    q.set("pos", String(studio.nextPosition)); q.set("frames", String(chunkFrames()));
    const r = await fetch("/api/chunk?" + q.toString());
    if (!r.ok) { const e = await r.json().catch(() => ({})); throw new Error(e.error || "chunk request failed"); }
    if (!studio.playing || track !== studio.track) return;
    schedule(await r.arrayBuffer(), serial);
  } catch (e) { message(e.message); stop(); }
  finally { studio.busy = false; }
}

function schedule(data, serial) {
  const ctx = studio.ctx, track = studio.track;
  const headerBytes = new DataView(data).getUint32(0, true);
  const t = JSON.parse(new TextDecoder().decode(new Uint8Array(data, 4, headerBytes)));
  const channels = track.channels, n = t.frames;
  const samples = new Float32Array(data, 4 + headerBytes, 2 * channels * n);
  const dry = ctx.createBuffer(channels, n, track.sampleRate), wet = ctx.createBuffer(channels, n, track.sampleRate);
  for (let c = 0; c < channels; c++) {
    dry.copyToChannel(samples.subarray(c * n, (c + 1) * n), c);
    wet.copyToChannel(samples.subarray((channels + c) * n, (channels + c + 1) * n), c);
  }
  const start = Math.max(studio.nextTime, ctx.currentTime + 0.005);
  const d = ctx.createBufferSource(), w = ctx.createBufferSource();
  d.buffer = dry; w.buffer = wet;
  d.connect(studio.dryGain); d.connect(studio.inputAnalyser);
  w.connect(studio.matchGain); w.connect(studio.outputAnalyser);
  d.start(start); w.start(start);
  const end = start + n / track.sampleRate;
  studio.queue.push({ dry: d, wet: w, start, end, position: t.position, frames: n, telemetry: t });
  studio.nextTime = end;
  studio.nextPosition = t.position + n;
  studio.stats.chunks++;
  if (t.restarted) studio.stats.restarts++;
  // Loudness matching: running mean squares over about 3 s.
  const a = Math.min(1, n / track.sampleRate / 3);
  studio.energy.input += a * (t.inputMeanSquare - studio.energy.input);
  studio.energy.output += a * (t.outputMeanSquare - studio.energy.output);
  const g = studio.match && studio.energy.output > 1e-12 ? Math.min(4, Math.max(0.25, Math.sqrt(studio.energy.input / studio.energy.output))) : 1;
  studio.matchGain.gain.setTargetAtTime(g, start, 0.05);
  $("match-gain").textContent = studio.match ? "B " + (20 * Math.log10(g)).toFixed(1) + " dB" : "";
  if (studio.change.pending && serial === studio.change.serial) {
    studio.change.pending = false;
    const ms = (start - studio.change.at) * 1000;
    studio.stats.changeLatencyMs.push(ms);
    $("fig-change").textContent = ms.toFixed(0) + " ms (queued audio " + (LEAD_SECONDS * 1000).toFixed(0) + " ms + request)";
  }
}

function currentPosition() {
  const now = studio.ctx ? studio.ctx.currentTime : 0;
  const q = studio.queue.find((e) => e.start <= now && now < e.end) || studio.queue[0];
  if (!q) return studio.nextPosition;
  return q.position + Math.max(0, Math.min(q.frames, Math.round((now - q.start) * studio.track.sampleRate)));
}

// ---- plots follow playback -------------------------------------------------------------------

function draw() {
  requestAnimationFrame(draw);
  if (!studio.info || !studio.track) return;
  const now = studio.ctx ? studio.ctx.currentTime : 0;
  const playing = studio.queue.find((e) => e.start <= now && now < e.end);
  const t = playing ? playing.telemetry : studio.shown;
  if (playing) {
    studio.shown = t;
    const pos = currentPosition();
    $("seek").value = Math.round((pos / studio.track.frames) * 1000);
    const s = pos / studio.track.sampleRate;
    $("time").textContent = Math.floor(s / 60) + ":" + (s % 60).toFixed(1).padStart(4, "0");
    $("fig-block").textContent = t.blockMicrosecondsMean.toFixed(1) + " µs mean, " + t.blockMicrosecondsMax.toFixed(1) + " µs worst (this chunk, server)";
    $("fig-latency").textContent = t.latencySamples + " samples (impulse test)";
  }
  Plots.eq($("plot-eq"), studio.info.curveFrequencies, t); studio.stats.plots.eq++;
  if (studio.inputAnalyser) {
    const i = new Float32Array(studio.inputAnalyser.frequencyBinCount), o = new Float32Array(i.length);
    studio.inputAnalyser.getFloatFrequencyData(i); studio.outputAnalyser.getFloatFrequencyData(o);
    Plots.spectrum($("plot-spectrum"), studio.ctx.sampleRate, i, o); studio.stats.plots.spectrum++;
  }
  const v = studio.values, selected = [v.term].concat(v.term_b >= 0 ? [v.term_b] : []);
  let target = null;
  if (t && t.audio) {
    const a = studio.words[v.term], b = v.term_b >= 0 ? studio.words[v.term_b] : a, m = v.term_b >= 0 ? v.blend : 0;
    const word = [a.x + m * (b.x - a.x), a.y + m * (b.y - a.y)];
    target = [t.audio[0] + v.intensity * (word[0] - t.audio[0]), t.audio[1] + v.intensity * (word[1] - t.audio[1])];
  }
  Plots.map($("plot-map"), studio.words, selected, t && t.audio, target); studio.stats.plots.map++;
}

// ---- blind test -------------------------------------------------------------------------------

function blindStart() {
  const word = studio.words[studio.values.term].word;
  studio.blind = { processed: Math.random() < 0.5 ? "A" : "B", word, intensity: studio.values.intensity };
  studio.match = true; $("match").checked = true;
  $("ab").style.visibility = "hidden";
  $("blind-trial").hidden = false;
  $("blind-question").textContent = "Which sounds more “" + word + "”?";
  $("blind-feedback").textContent = "";
  blindHear("A");
  if (!studio.playing) play();
}

function blindHear(side) {
  $("blind-a").setAttribute("aria-pressed", String(side === "A"));
  $("blind-b").setAttribute("aria-pressed", String(side === "B"));
  hear(side === studio.blind.processed ? "processed" : "original");
}

async function blindAnswer(chosen) {
  const b = studio.blind;
  if (!b) return;
  try {
    const mode = studio.info.controls.find((p) => p.symbol === "mode");
    const r = await fetchJSON("/api/blind", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ word: b.word, intensity: b.intensity, processed: b.processed, chosen,
        mode: mode ? mode.options[Math.round(studio.values.mode)] : "adaptive", track: studio.track.id }) });
    $("blind-feedback").textContent = "Stored. The processed one was " + b.processed + (r.correct ? " — you picked it." : " — you picked the original.");
  } catch (e) { $("blind-feedback").textContent = e.message; }
  studio.blind = null;
  $("blind-trial").hidden = true;
  $("ab").style.visibility = "visible";
  hear("processed");
  blindSummary();
}

async function blindSummary() {
  const s = await fetchJSON("/api/blind/summary");
  const body = $("blind-summary").tBodies[0];
  body.innerHTML = "";
  for (const r of s.words) {
    const tr = body.insertRow();
    for (const v of [r.word, r.trials, r.correct, r.pValue.toFixed(3)]) tr.insertCell().textContent = v;
  }
}

// ---- start --------------------------------------------------------------------------------------

async function start() {
  try {
    studio.info = await fetchJSON("/api/info");
  } catch (e) { status("cannot reach the studio server: " + e.message); return; }
  studio.words = studio.info.words;
  buildControls();
  const warm = studio.words.findIndex((w) => w.word === "warm");
  studio.values.term = warm >= 0 ? warm : 0;
  fillWordList();
  showTracks(studio.info.tracks);
  $("word-search").oninput = fillWordList;
  $("word-search").onkeydown = searchKey;
  $("reference").onclick = () => addWord("/api/reference?track=" + encodeURIComponent(studio.track.id), { method: "POST" });
  $("reference").disabled = !studio.info.adaptive;
  $("word").onchange = () => setValue("term", Number($("word").value));
  $("track").onchange = () => selectTrack($("track").value);
  $("file").onchange = () => { if ($("file").files[0]) upload($("file").files[0]); };
  const drop = $("drop");
  drop.ondragover = (e) => { e.preventDefault(); drop.classList.add("over"); };
  drop.ondragleave = () => drop.classList.remove("over");
  drop.ondrop = (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files[0]) upload(e.dataTransfer.files[0]); };
  $("play").onclick = () => (studio.playing ? stop() : play());
  $("play").disabled = false;
  $("seek").oninput = () => {
    const wasPlaying = studio.playing;
    stop();
    studio.nextPosition = Math.round((Number($("seek").value) / 1000) * studio.track.frames);
    if (wasPlaying) play();
  };
  $("ab-a").onclick = () => hear("original");
  $("ab-b").onclick = () => hear("processed");
  $("match").onchange = () => { studio.match = $("match").checked; };
  $("blind-start").onclick = blindStart;
  $("blind-a").onclick = () => blindHear("A");
  $("blind-b").onclick = () => blindHear("B");
  $("answer-a").onclick = () => blindAnswer("A");
  $("answer-b").onclick = () => blindAnswer("B");
  blindSummary();
  status(studio.words.length + " words · " + (studio.info.adaptive ? "adaptive model loaded" : "static vocabulary only"));
  document.body.dataset.ready = "true";
  draw();
}

start();
