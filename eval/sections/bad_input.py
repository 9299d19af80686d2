"""Bad input: broken files, odd formats and out-of-range options through `adaptive-eq process`."""
from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import numpy as np
from scipy import signal

from harness import Context, md_table, read_audio, tonal, write_float_wav
from aeq import rbj

TITLE = "Bad input"


def wav_bytes(fs: int, channels: int, data: bytes, bits: int = 16, fmt: int = 1, declared: int | None = None) -> bytes:
    block = channels * bits // 8
    size = len(data) if declared is None else declared
    hdr = b"RIFF" + struct.pack("<I", 36 + size) + b"WAVE"
    hdr += b"fmt " + struct.pack("<IHHIIHH", 16, fmt, channels, fs, fs * block, block, bits)
    hdr += b"data" + struct.pack("<I", size)
    return hdr + data


class _Skip(Exception):
    pass


def run(ctx: Context):
    rep, cli, vocab, tmp = ctx.rep, ctx.cli, ctx.vocab, ctx.tmp
    d = tmp / "bad"
    d.mkdir(exist_ok=True)
    rng = np.random.default_rng(5)
    word = "warm" if "warm" in vocab else (next(iter(vocab)) if vocab else "warm")
    fs = 44_100
    noise = lambda n, ch=1, a=0.3: (a * rng.standard_normal((n, ch))).clip(-1, 1)  # noqa: E731
    cases = []  # (label, files to write {name: bytes|array}, args, expect)  expect: ok | error | either

    def add(label, args, expect, files=None, check=None):
        cases.append((label, files or {}, args, expect, check))

    good = d / "good.wav"
    write_float_wav(good, fs, noise(fs, 2))
    add("empty file (0 bytes)", ["process", "{d}/empty.wav", "{d}/o.wav", "--term", word], "error", {"empty.wav": b""})
    full = wav_bytes(fs, 2, (noise(fs, 2) * 32767).astype("<i2").tobytes())
    add("truncated WAV (data cut in half)", ["process", "{d}/trunc.wav", "{d}/o.wav", "--term", word], "either",
        {"trunc.wav": full[: 44 + (len(full) - 44) // 2]})
    add("truncated WAV (header only)", ["process", "{d}/hdr.wav", "{d}/o.wav", "--term", word], "either", {"hdr.wav": full[:44]})
    add("corrupt header (0 channels)", ["process", "{d}/zch.wav", "{d}/o.wav", "--term", word], "error",
        {"zch.wav": wav_bytes(fs, 0, b"\0" * 400, bits=16)[:44] + b"\0" * 400})
    add("corrupt header (sample rate 0)", ["process", "{d}/zfs.wav", "{d}/o.wav", "--term", word], "error",
        {"zfs.wav": wav_bytes(0, 1, b"\0" * 400)})
    add("random bytes named .wav", ["process", "{d}/rand.wav", "{d}/o.wav", "--term", word], "error",
        {"rand.wav": rng.integers(0, 256, 5000, dtype=np.uint8).tobytes()})
    add("text file named .wav", ["process", "{d}/text.wav", "{d}/o.wav", "--term", word], "error",
        {"text.wav": b"this is not audio\n" * 50})
    add("missing input file", ["process", "{d}/nope.wav", "{d}/o.wav", "--term", word], "error")
    add("input is a directory", ["process", "{d}", "{d}/o.wav", "--term", word], "error")
    nan = noise(2 * fs, 2)
    nan[1000:1100:3, 0] = np.nan
    nan[5000:5100:5, 1] = np.inf
    nan[9000, 0] = -np.inf
    for mode, extra in (("adaptive", ["--term", word, "--intensity", "1"]),
                        ("static", ["--term", "warm", "--mode", "static", "--intensity", "1"]),
                        ("manual", ["--eq", "6,120,-4,500,2,3,2000,1,-6,6000,4,6,9000"])):
        add(f"NaN/±Inf samples, {mode}", ["process", "{d}/nan.wav", "{d}/o.wav", *extra], "either", {"nan.wav": nan})
    for ch in range(1, 9):
        add(f"{ch} channel{'s' if ch > 1 else ''}", ["process", f"{{d}}/ch{ch}.wav", "{d}/o.wav", "--term", word],
            "ok", {f"ch{ch}.wav": noise(fs, ch)})
    add("9 channels (beyond 1–8)", ["process", "{d}/ch9.wav", "{d}/o.wav", "--term", word], "either",
        {"ch9.wav": noise(fs // 4, 9)})
    for rate in (8_000, 22_050, 96_000, 192_000):
        add(f"{rate} Hz", ["process", f"{{d}}/sr{rate}.wav", "{d}/o.wav", "--term", word, "--intensity", "1"], "ok",
            {f"sr{rate}.wav": (rate, noise(rate * 2, 2))})
    add("4000 Hz (below 8 kHz)", ["process", "{d}/sr4000.wav", "{d}/o.wav", "--term", word], "either",
        {"sr4000.wav": (4000, noise(8000, 1))})
    add("silence (5 s of zeros)", ["process", "{d}/sil.wav", "{d}/o.wav", "--term", word, "--intensity", "1"], "ok",
        {"sil.wav": np.zeros((5 * fs, 2))}, check="silent")
    add("full-scale noise, float", ["process", "{d}/fs.wav", "{d}/o.wav", "--term", "bright", "--intensity", "1"]
        if "bright" in vocab else ["process", "{d}/fs.wav", "{d}/o.wav", "--term", word, "--intensity", "1"], "ok",
        {"fs.wav": rng.uniform(-1, 1, (5 * fs, 2))})
    loud = (rng.uniform(-1, 1, (5 * fs, 2)) * 32767).astype("<i2")
    add("full-scale noise, 16-bit, +12 dB shelf", ["process", "{d}/fs16.wav", "{d}/o.wav", "--eq",
        "12,200,0,300,1,0,1000,1,0,3000,1,12,4000"], "ok", {"fs16.wav": wav_bytes(fs, 2, loud.tobytes())}, check="clip")
    pcm = noise(fs // 2, 2)
    add("8-bit unsigned WAV", ["process", "{d}/u8.wav", "{d}/o.wav", "--term", word], "ok",
        {"u8.wav": wav_bytes(fs, 2, (pcm * 127 + 128).astype(np.uint8).tobytes(), bits=8)}, check="shape")
    i24 = (pcm * 8_388_607).astype("<i4")
    add("24-bit WAV", ["process", "{d}/i24.wav", "{d}/o.wav", "--term", word], "ok",
        {"i24.wav": wav_bytes(fs, 2, b"".join(v.to_bytes(3, "little", signed=True) for v in i24.ravel().tolist()),
                              bits=24)}, check="shape")
    add("64-bit float WAV", ["process", "{d}/f64.wav", "{d}/o.wav", "--term", word], "ok",
        {"f64.wav": wav_bytes(fs, 2, pcm.astype("<f8").tobytes(), bits=64, fmt=3)}, check="shape")
    add("FLAC output", ["process", str(good), "{d}/o.flac", "--term", word], "ok", check="noread")
    add("AIFF output", ["process", str(good), "{d}/o.aiff", "--term", word], "ok", check="noread")
    add("1-frame file", ["process", "{d}/one.wav", "{d}/o.wav", "--term", word], "ok", {"one.wav": noise(1, 2)})
    add("100-frame file", ["process", "{d}/short.wav", "{d}/o.wav", "--term", word], "ok", {"short.wav": noise(100, 2)})
    add("a string that is no word", ["process", str(good), "{d}/o.wav", "--term", "zzqxv"], "error")
    add("a string that is no word, static mode", ["process", str(good), "{d}/o.wav", "--term", "zzqxv", "--mode", "static"],
        "error")
    add("an English word no crowd described (inferred)", ["process", str(good), "{d}/o.wav", "--term", "flibbertigibbet"],
        "ok")
    add("empty word", ["process", str(good), "{d}/o.wav", "--term", ""], "error")
    for v in ("1.5", "-0.1", "nan", "inf"):
        add(f"--intensity {v}", ["process", str(good), "{d}/o.wav", "--term", word, "--intensity", v], "error")
    add("--intensity=-0.1", ["process", str(good), "{d}/o.wav", "--term", word, "--intensity=-0.1"], "error")
    add("--eq gain 30 dB", ["process", str(good), "{d}/o.wav", "--eq", "30,100,0,300,1,0,1000,1,0,3000,1,0,8000"], "error")
    add("--eq Q 0", ["process", str(good), "{d}/o.wav", "--eq", "0,100,0,300,0,0,1000,1,0,3000,1,0,8000"], "error")
    add("--eq frequency 50 kHz", ["process", str(good), "{d}/o.wav", "--eq", "0,100,0,300,1,0,1000,1,0,3000,1,0,50000"], "error")
    add("--eq 12 values", ["process", str(good), "{d}/o.wav", "--eq", "0,100,0,300,1,0,1000,1,0,3000,1,0"], "error")
    add("--eq non-numeric", ["process", str(good), "{d}/o.wav", "--eq", "a,100,0,300,1,0,1000,1,0,3000,1,0,8000"], "error")
    add("--eq with NaN", ["process", str(good), "{d}/o.wav", "--eq", "nan,100,0,300,1,0,1000,1,0,3000,1,0,8000"], "error")
    add("--term and --eq together", ["process", str(good), "{d}/o.wav", "--term", word, "--eq",
                                     "0,100,0,300,1,0,1000,1,0,3000,1,0,8000"], "error")
    add("--block-size 0", ["process", str(good), "{d}/o.wav", "--term", word, "--block-size", "0"], "error")
    add("--block-size 100000", ["process", str(good), "{d}/o.wav", "--term", word, "--block-size", "100000"], "error")
    add("--mode bogus", ["process", str(good), "{d}/o.wav", "--term", word, "--mode", "bogus"], "error")
    add("unsupported output type (.mp3)", ["process", str(good), "{d}/o.mp3", "--term", word], "error")
    add("output folder missing", ["process", str(good), "{d}/no/such/dir/o.wav", "--term", word], "error")
    add("input == output (same path, --force)", ["process", "{d}/same.wav", "{d}/same.wav", "--term", word, "--force"],
        "error", {"same.wav": noise(fs, 2)}, check="input")
    add("input == output (other spelling, --force)", ["process", "{d}/same2.wav", "{d}/../bad/./same2.wav", "--term",
                                                      word, "--force"], "error", {"same2.wav": noise(fs, 2)}, check="input")
    add("input == output (via symlink, --force)", ["process", "{d}/same3.wav", "{d}/link3.wav", "--term", word, "--force"],
        "error", {"same3.wav": noise(fs, 2), "link3.wav": "->same3.wav"}, check="input")
    add("output exists, no --force", ["process", str(good), "{d}/exists.wav", "--term", word], "error",
        {"exists.wav": noise(100, 1)}, check="exists")

    rows, bad = [], 0
    for label, files, args, expect, check in cases:
        for name, content in files.items():
            p = d / name
            if p.is_symlink() or p.exists():
                p.unlink()
            if isinstance(content, str) and content.startswith("->"):
                p.symlink_to(d / content[2:])
            elif isinstance(content, bytes):
                p.write_bytes(content)
            elif isinstance(content, tuple):
                write_float_wav(p, content[0], content[1])
            else:
                write_float_wav(p, fs, content)
        argv = [a.replace("{d}", str(d)) for a in args]
        out = Path(argv[2])
        inp = Path(argv[1])
        if check not in ("input", "exists") and (out.exists() or out.is_symlink()):
            out.unlink()
        guarded = inp if check == "input" else (out if check == "exists" else None)
        before = hashlib.sha256(guarded.read_bytes()).hexdigest() if guarded else None
        r = cli.run(argv, timeout=120, model=True)
        err_lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        notes, ok = [], True
        if r.returncode is None:
            ok, outcome = False, "**hang** (killed after 120 s)"
        elif r.returncode < 0 or r.returncode >= 128:
            ok, outcome = False, f"**crash** (signal {-r.returncode if r.returncode < 0 else r.returncode - 128})"
        elif r.returncode == 0:
            outcome = "output"
            if expect == "error":
                ok = False
                notes.append("accepted")
            if check == "noread":
                if not (out.exists() and out.stat().st_size > 0):
                    ok = False
                    notes.append("no output file")
                else:
                    notes.append(f"{out.stat().st_size:,} bytes written")
            try:
                if check == "noread":
                    raise _Skip
                ofs, y = read_audio(out)
                if not np.all(np.isfinite(y)):
                    ok = False
                    notes.append("non-finite output")
                src = files.get(inp.name)
                if isinstance(src, tuple):
                    src_fs, src_x = src
                elif isinstance(src, np.ndarray):
                    src_fs, src_x = fs, src
                else:
                    src_fs, src_x = None, None
                if check == "shape":
                    n_in = {"u8.wav": (fs // 2, 2), "i24.wav": (fs // 2, 2), "f64.wav": (fs // 2, 2)}[inp.name]
                    if y.shape != n_in:
                        ok = False
                        notes.append(f"shape {y.shape} vs {n_in}")
                if src_x is not None and (ofs != src_fs or y.shape != src_x.shape):
                    ok = False
                    notes.append(f"shape/rate {y.shape}@{ofs} vs {src_x.shape}@{src_fs}")
                if check == "silent" and np.max(np.abs(y)) > 0:
                    ok = False
                    notes.append(f"silence in, peak {tonal.peak_dbfs(y):.0f} dBFS out")
                if check == "clip":
                    # The documented rule (README): overs pass a look-ahead limiter of at most 6 dB after
                    # the whole file is lowered by any excess beyond that; nothing reaches full scale.
                    ref = signal.sosfilt(rbj.sos([12, 200, 0, 300, 1, 0, 1000, 1, 0, 3000, 1, 12, 4000], fs),
                                         loud / 32768.0, axis=0)
                    whole = min(1.0, 0.988553 * 10 ** (6 / 20) / float(np.max(np.abs(ref))))
                    big = np.abs(ref) > 0.05
                    ratio = y[big] / (ref[big] * whole)
                    clipped = float(np.mean(np.abs(y) >= 32767 / 32768))
                    notes.append(f"{clipped:.0%} samples at full scale; gain vs the float render lowered by "
                                 f"{20 * np.log10(whole):.1f} dB: {ratio.min():.3f} … {ratio.max():.3f}")
                    if clipped > 0 or ratio.min() < 0.5 - 2e-3 or ratio.max() > 1 + 2e-3:
                        ok = False
                        notes.append("clipped, wrapped or limited beyond 6 dB")
                if ok:
                    notes.insert(0, f"{y.shape[1]} ch, {y.shape[0]} frames, {ofs} Hz, finite")
            except _Skip:
                pass
            except Exception as e:
                ok = False
                notes.append(f"output unreadable: {str(e)[:60]}")
        else:
            outcome = f"error (exit {r.returncode})"
            if expect == "ok":
                ok = False
            if len(err_lines) != 1:
                ok = False
                notes.append(f"{len(err_lines)} stderr lines")
            if check not in ("input", "exists") and (out.exists() or out.is_symlink()):
                ok = False
                notes.append("partial output left")
        if guarded is not None:
            after = hashlib.sha256(guarded.read_bytes()).hexdigest() if guarded.exists() else None
            if after != before:
                ok = False
                notes.append("**file overwritten**")
            else:
                notes.append("file untouched")
        msg = err_lines[0] if err_lines and r.returncode != 0 else ""
        msg = msg.replace(str(d), "…").replace("|", "\\|")
        if len(msg) > 110:
            msg = msg[:107] + "…"
        bad += not ok
        rows.append((label, expect, outcome, f"`{msg}`" if msg else "", "; ".join(notes), "ok" if ok else "**FAIL**"))
    rep.figure("bad input", f"{len(cases) - bad}/{len(cases)} cases handled", "one-line error or correct output; no crash, "
               "hang, NaN or overwritten input", bad == 0, TITLE)
    text = ("Each case runs `adaptive-eq process` (adaptive mode unless stated) with a 120 s time-out. "
            "*expect*: `error` = must exit non-zero; `ok` = must write a correct output; `either` = a one-line "
            "error or a correct, finite output. An error must be exactly one non-empty stderr line and leave no "
            "output file; an output must be readable, finite, and keep the input's channels, rate and length.\n\n")
    text += md_table(["case", "expect", "outcome", "message", "checks", "verdict"], rows)
    rep.add(TITLE, text)
