"""Timings of the Python peers for bench/run.py: (a) scipy `sosfilt` and the CLI's offline
renders, (b) the seed-style prototype (bench/peers.py), (c) ONNX Runtime and PyTorch on the
encoder and decoder; plus the test signal they all run on. Times are µs (median / p99)."""
from __future__ import annotations

import resource
import subprocess
import time

import numpy as np
import scipy.signal
import torch

import peers

BLOCK = 512
FS = peers.SAMPLE_RATE


def pct(values_ns, q):
    return float(np.percentile(np.asarray(values_ns, dtype=np.float64), q)) / 1000.0  # -> µs


def stats_us(values_ns):
    return {"p50": pct(values_ns, 50), "p99": pct(values_ns, 99), "n": len(values_ns)}


def make_signal(seconds, channels=2, seed=3):
    """Music-like test signal: noise through a low-pass whose corner sweeps slowly (so the
    adaptive engine keeps re-targeting), plus two tones; about -15 dBFS, float32."""
    rng = np.random.default_rng(seed)
    n = int(FS * seconds)
    t = np.arange(n) / FS
    out = np.empty((channels, n), dtype=np.float32)
    for c in range(channels):
        noise = rng.uniform(-1, 1, n)
        a = 0.5 + 0.45 * np.sin(2 * np.pi * 0.15 * t + c)
        # time-varying one-pole low-pass, in blocks of 256 (vectorised)
        y = np.empty(n)
        state = 0.0
        for s in range(0, n, 256):
            coef = a[s]
            seg, state = scipy.signal.lfilter([1 - coef], [1, -coef], noise[s:s + 256], zi=[state * coef])
            y[s:s + 256] = seg
            state = seg[-1]
        out[c] = 0.4 * y + 0.05 * np.sin(2 * np.pi * 220 * t) + 0.03 * np.sin(2 * np.pi * 1760 * t + 0.3)
    return out


def run(cmd, **kw):
    """A subprocess with its output captured as text (also used by swift_figures and run)."""
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


# ----------------------------------------------------------------------------- (a) EQ

def bench_sosfilt(signal, sos, blocks, repeats):
    """Per 512-frame stereo block with carried state, and over the whole signal."""
    zi = np.zeros((sos.shape[0], signal.shape[0], 2), dtype=sos.dtype)
    per_block = []
    n_blocks = min(blocks, signal.shape[1] // BLOCK)
    for b in range(n_blocks):
        x = signal[:, b * BLOCK:(b + 1) * BLOCK]
        t0 = peers.clock_ns()
        y, zi = scipy.signal.sosfilt(sos, x, axis=-1, zi=zi)
        per_block.append(peers.clock_ns() - t0)
    whole = []
    for _ in range(repeats):
        t0 = peers.clock_ns()
        y = scipy.signal.sosfilt(sos, signal, axis=-1)
        whole.append(peers.clock_ns() - t0)
    return stats_us(per_block[50:]), float(np.median(whole)) / 1e9, str(y.dtype)


def child_cpu_s():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def time_cli(cmd, repeats):
    """Median wall time and median CPU time (user + system) of a command, in seconds."""
    walls, cpus = [], []
    for _ in range(repeats):
        c0, t0 = child_cpu_s(), time.perf_counter()
        r = run(cmd)
        walls.append(time.perf_counter() - t0)
        cpus.append(child_cpu_s() - c0)
        if r.returncode != 0:
            return None, r.stderr.strip()
    return {"wall": float(np.median(walls)), "cpu": float(np.median(cpus))}, None


# ----------------------------------------------------------------------------- (b) prototype

def bench_prototype(signal, tensors, updates_max):
    proto = peers.SeedPrototype(tensors)
    mono = signal.mean(axis=0).astype(np.float32)
    window = proto.mel.samples
    timings = {k: [] for k in ("mel", "encoder", "decoder", "design")}
    per_frame = []
    first = ((window + BLOCK - 1) // BLOCK + 4) * BLOCK
    frames = (signal.shape[1] - first) // BLOCK
    updates = 0
    for f in range(frames):
        start = first + f * BLOCK
        if f % 4 == 0:
            proto.update(mono[start - window:start], timings)
            updates += 1
        t1 = peers.clock_ns()
        proto.filter_frame(signal[:, start:start + BLOCK])
        t2 = peers.clock_ns()
        per_frame.append(t2 - t1)
        if updates >= updates_max:
            break
    # An update period = the update itself + its four frames of filtering.
    upd = np.asarray(timings["mel"]) + timings["encoder"] + timings["decoder"] + timings["design"]
    frames4 = np.asarray(per_frame[: 4 * (len(per_frame) // 4)]).reshape(-1, 4).sum(axis=1)
    k = min(len(upd), len(frames4))
    period = upd[:k] + frames4[:k]
    return {"period": stats_us(period), "update_only": stats_us(upd),
            **{name: stats_us(v) for name, v in timings.items()},
            "eq_frame": stats_us(per_frame), "updates": int(k)}


# ----------------------------------------------------------------------------- (c) ONNX

def export_encoder_onnx(tensors, path):
    enc = peers.Encoder(tensors).eval()
    x = torch.zeros(1, peers.N_MELS, peers.FRAMES)
    torch.onnx.export(enc, (x,), str(path), input_names=["logmel_norm"], output_names=["z_audio"],
                      dynamic_axes={"logmel_norm": {0: "batch"}, "z_audio": {0: "batch"}},
                      opset_version=17, dynamo=False)


def ort_session(path):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def time_calls(fn, runs, warmup=50):
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        t0 = peers.clock_ns()
        fn()
        out.append(peers.clock_ns() - t0)
    return stats_us(out)


def bench_onnx(signal, tensors, onnx_path, decoder_path, runs):
    mel = peers.WindowMel(tensors)
    mono = signal.mean(axis=0).astype(np.float32)
    x = mel(mono[FS * 3: FS * 3 + mel.samples])[None]
    sess = ort_session(onnx_path)
    name = sess.get_inputs()[0].name
    res = {"input": f"{name} {sess.get_inputs()[0].shape}"}
    z_ort = sess.run(None, {name: x})[0]
    enc = peers.Encoder(tensors).eval()
    with torch.no_grad():
        z_torch = enc(torch.from_numpy(x)).numpy()
    res["parity_max_abs"] = float(np.max(np.abs(z_ort - z_torch)))
    res["ort_encoder"] = time_calls(lambda: sess.run(None, {name: x}), runs)
    xt = torch.from_numpy(x)

    def torch_enc():
        with torch.no_grad():
            enc(xt)
    res["torch_encoder"] = time_calls(torch_enc, runs)
    res["numpy_window_mel"] = time_calls(lambda: mel(mono[FS * 3: FS * 3 + mel.samples]), max(200, runs // 5))
    if decoder_path is not None and decoder_path.exists():
        dsess = ort_session(decoder_path)
        dname = dsess.get_inputs()[0].name
        z = np.asarray(z_ort[:1], dtype=np.float32)
        res["ort_decoder"] = time_calls(lambda: dsess.run(None, {dname: z}), runs)
    dec = peers.Decoder(tensors).eval()
    zt = torch.from_numpy(np.asarray(z_ort[:1], dtype=np.float32))

    def torch_dec():
        with torch.no_grad():
            dec(zt)
    res["torch_decoder"] = time_calls(torch_dec, runs)
    return res

