// Plots of the studio page: plain canvas drawing, no libraries (the page works offline).
"use strict";

const Plots = (() => {
  const C = { grid: "#2a313b", text: "#8b95a3", applied: "#f0a34a", target: "#5fb3f0", colour: "#9aa3ad" };
  const fMin = 20, fMax = 20000;
  const xOfFrequency = (f, w) => (Math.log(f / fMin) / Math.log(fMax / fMin)) * w;

  function frame(ctx, w, h, yMin, yMax, yStep, unit) {
    ctx.clearRect(0, 0, w, h);
    ctx.font = "10px system-ui, sans-serif";
    ctx.strokeStyle = C.grid; ctx.fillStyle = C.text; ctx.lineWidth = 1;
    for (const f of [50, 100, 200, 500, 1000, 2000, 5000, 10000]) {
      const x = xOfFrequency(f, w);
      ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, h); ctx.stroke();
      ctx.fillText(f >= 1000 ? f / 1000 + "k" : String(f), x + 2, h - 3);
    }
    for (let v = yMin; v <= yMax; v += yStep) {
      const y = h - ((v - yMin) / (yMax - yMin)) * h;
      ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(w, y); ctx.stroke();
      ctx.fillText(v + " " + unit, 2, y - 2);
    }
  }

  function line(ctx, w, h, xs, ys, yMin, yMax, colour, width) {
    ctx.strokeStyle = colour; ctx.lineWidth = width; ctx.beginPath();
    let started = false;
    for (let i = 0; i < xs.length; i++) {
      if (!isFinite(ys[i])) continue;
      const x = xOfFrequency(xs[i], w);
      const y = h - ((Math.max(yMin, Math.min(yMax, ys[i])) - yMin) / (yMax - yMin)) * h;
      if (started) ctx.lineTo(x, y); else { ctx.moveTo(x, y); started = true; }
    }
    ctx.stroke();
  }

  /// The EQ the audio goes through (`applied`, from the server: the target followed by the
  /// inverse of the correction, and the reference detail), the target and the correction
  /// (adaptive mode: the share of the audio's colouration being undone), and the loudness
  /// gain as a number: it moves the level, not the shape. Returns the curves drawn.
  function eq(canvas, frequencies, t) {
    const ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height;
    frame(ctx, w, h, -18, 18, 6, "dB");
    if (!t) return null;
    const drawn = { applied: t.applied, target: t.target, correction: t.correction };
    if (t.colouration) {
      line(ctx, w, h, frequencies, t.correction, -18, 18, C.colour, 1.5);
      line(ctx, w, h, frequencies, t.target, -18, 18, C.target, 1.5);
    }
    line(ctx, w, h, frequencies, t.applied, -18, 18, C.applied, 2.5);
    ctx.fillStyle = C.text;
    ctx.fillText("loudness gain " + (t.loudnessGainDecibels >= 0 ? "+" : "") + t.loudnessGainDecibels.toFixed(1) + " dB", w - 120, 12);
    return drawn;
  }

  /// Input and output spectra from two AnalyserNodes (dB per FFT bin).
  function spectrum(canvas, rate, input, output) {
    const ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height;
    frame(ctx, w, h, -100, -10, 15, "dB");
    const bins = input.length, xs = new Float32Array(bins);
    for (let i = 0; i < bins; i++) xs[i] = Math.max(fMin, (i * rate) / (2 * bins));
    line(ctx, w, h, xs, input, -100, -10, C.colour, 1);
    line(ctx, w, h, xs, output, -100, -10, C.applied, 1.5);
  }

  /// Words as dots (the learnt words that describe timbre with enough support, and the words
  /// added), the audio's position and where the current word moves it.
  function map(canvas, words, selected, audio, target) {
    const ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height, pad = 12;
    const X = (x) => pad + ((x + 1) / 2) * (w - 2 * pad), Y = (y) => h - pad - ((y + 1) / 2) * (h - 2 * pad);
    ctx.clearRect(0, 0, w, h);
    ctx.font = "10px system-ui, sans-serif";
    ctx.fillStyle = "#3d4652";
    for (const word of words) if (word.x !== undefined && word.descriptive !== false) ctx.fillRect(X(word.x) - 1, Y(word.y) - 1, 2, 2);
    for (const i of selected) {
      const word = words[i];
      if (!word || word.x === undefined) continue;
      ctx.fillStyle = C.target; ctx.beginPath(); ctx.arc(X(word.x), Y(word.y), 3, 0, 7); ctx.fill();
      ctx.fillText(word.word, X(word.x) + 5, Y(word.y) - 4);
    }
    if (!audio) { ctx.fillStyle = C.text; ctx.fillText("(adaptive mode shows the audio here)", 8, 14); return; }
    ctx.strokeStyle = C.target; ctx.lineWidth = 1.5; ctx.beginPath();
    ctx.moveTo(X(audio[0]), Y(audio[1])); ctx.lineTo(X(target[0]), Y(target[1])); ctx.stroke();
    ctx.fillStyle = C.target; ctx.beginPath(); ctx.arc(X(target[0]), Y(target[1]), 4, 0, 7); ctx.fill();
    ctx.fillStyle = C.applied; ctx.beginPath(); ctx.arc(X(audio[0]), Y(audio[1]), 5, 0, 7); ctx.fill();
  }

  return { eq, spectrum, map };
})();
