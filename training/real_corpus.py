"""Real mastered music corpus from Debian packages (nothing else is used for real music).

    python -m training.real_corpus [--out build/real] [--debs build/debs] [--minutes-per-track 5]

Every package below is fetched with `apt-get download` (once, into --debs) and unpacked with
`dpkg-deb -x`; music inside Quake-style `.pk3` archives (zip files of Ogg tracks) is read from the
archive. Tracks are decoded with libsndfile (PyPI `soundfile`, which reads Ogg/Vorbis and Opus),
each decode in a worker process with a wall-clock limit and a cap on the frames read, mixed to mono
for training and resampled to 44.1 kHz.

Output (git-ignored):
  <out>/tracks/<split>/<id>.wav   mono 44.1 kHz 16-bit, at most --minutes-per-track of each track
  <out>/clips/music_<genre>_<nn>.wav  20-s stereo 44.1 kHz clips from the test tracks (as mastered,
                                  for aeq_metrics.py and `make eval`), SOURCES.json beside them
  <out>/manifest.json             every track: package, file, licence, genre, duration, split

The split is by track (a hash of package/file): 80 % train, 10 % validation, 10 % test.
Files shorter than 30 s (jingles, effects) are skipped. Not usable here and skipped: fb-music-high
(a tracker module, which libsndfile does not read), xblast-tnt-musics (headerless raw PCM of
unknown format) and neverball-data (ships no music files in Debian 12).
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import subprocess
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor, TimeoutError as FutureTimeout
from pathlib import Path

import numpy as np
from scipy import signal

FS = 44100
ROOT = Path(__file__).resolve().parent.parent
MIN_TRACK_S = 30.0
CLIP_S = 20.0
DECODE_TIMEOUT_S = 180

# package -> (genre, glob patterns of its music inside the unpacked tree or its .pk3 archives).
# Genres are coarse labels from the games' soundtracks as listened to, used only for per-genre figures.
PACKAGES = {
    "nexuiz-music": ("electronic", ["pk3:usr/share/games/nexuiz/data/music.pk3:sound/cdtracks/*.ogg"]),
    "ufoai-music": ("orchestral", ["pk3:usr/share/games/ufoai/base/0music.pk3:music/*.ogg"]),
    "warzone2100-music": ("orchestral", ["usr/share/games/warzone2100/music/**/*.opus"]),
    "planetblupi-music-ogg": ("pop", ["usr/share/planetblupi/music/*.ogg"]),
    "hyperrogue-music": ("ambient", ["usr/share/hyperrogue/music/*.ogg"]),
    "drascula-music": ("orchestral", ["usr/share/scummvm/drascula/audio/*.ogg"]),
    "hedgewars-data": ("rock", ["usr/share/games/hedgewars/Data/Music/*.ogg"]),
    "supertuxkart-data": ("electronic", ["usr/share/games/supertuxkart/data/music/*.ogg"]),
    "neverball-data": ("electronic", []),
    "xblast-tnt-musics": ("electronic", []),
    "fb-music-high": ("rock", []),
}


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def fetch(pkg: str, debs: Path) -> Path:
    """Unpacked tree of a package (apt-get download + dpkg-deb -x, both bounded in time)."""
    tree = debs / "x" / pkg
    if tree.exists():
        return tree
    debs.mkdir(parents=True, exist_ok=True)
    if not list(debs.glob(f"{pkg}_*.deb")):
        subprocess.run(["apt-get", "download", pkg], cwd=debs, check=True, timeout=1800,
                       stdout=subprocess.DEVNULL)
    deb = sorted(debs.glob(f"{pkg}_*.deb"))[-1]
    tmp = tree.with_suffix(".tmp")
    subprocess.run(["rm", "-rf", str(tmp)], check=True)
    tmp.mkdir(parents=True)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp)], check=True, timeout=600)
    tmp.rename(tree)
    return tree


def licence_of(tree: Path, pkg: str) -> str:
    """The distinct `License:` short names of the package's copyright file (DEP-5)."""
    cp = tree / "usr/share/doc" / pkg / "copyright"
    if not cp.exists():
        return "see the package's copyright file"
    names = []
    for line in cp.read_text(errors="replace").splitlines():
        m = re.match(r"^License:\s*(\S.*)$", line)
        if m and m.group(1).strip() not in names:
            names.append(m.group(1).strip())
    return ", ".join(names) if names else "see /usr/share/doc/%s/copyright" % pkg


def sources(pkg: str, tree: Path):
    """(name, locator) of every candidate music file; locator is a path or (archive, member)."""
    out = []
    for pat in PACKAGES[pkg][1]:
        if pat.startswith("pk3:"):
            _, arch, member_glob = pat.split(":")
            with zipfile.ZipFile(tree / arch) as z:
                rx = re.compile("^" + re.escape(member_glob).replace(r"\*", "[^/]*") + "$")
                for m in sorted(z.namelist()):
                    if rx.match(m):
                        out.append((f"{arch}:{m}", (str(tree / arch), m)))
        else:
            for p in sorted(tree.glob(pat)):
                out.append((str(p.relative_to(tree)), str(p)))
    return out


def decode(locator, max_s: float):
    """Decode at most max_s seconds (plus the 10-s offset) with libsndfile; returns (stereo float32, fs)."""
    import soundfile as sf
    if isinstance(locator, tuple):
        with zipfile.ZipFile(locator[0]) as z:
            data = z.read(locator[1])
        f = sf.SoundFile(io.BytesIO(data))
    else:
        f = sf.SoundFile(locator)
    with f:
        fs = f.samplerate
        total = f.frames / fs if f.frames > 0 else 0.0
        x = f.read(frames=int((max_s + 10.0) * fs), dtype="float32", always_2d=True)
    return x, fs, total


def resample(x: np.ndarray, fs: int) -> np.ndarray:
    if fs == FS:
        return x
    g = np.gcd(FS, fs)
    return signal.resample_poly(x, FS // g, fs // g, axis=0).astype(np.float32)


def split_of(key: str) -> str:
    h = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) % 100
    return "test" if h < 10 else "val" if h < 20 else "train"


def write_wav(path: Path, x: np.ndarray):
    from scipy.io import wavfile
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.wav")
    wavfile.write(tmp, FS, np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16))
    tmp.rename(path)


def process_track(args):
    pkg, name, locator, genre, lic, out, max_s = args
    key = f"{pkg}/{name}"
    x, fs, total = decode(locator, max_s)
    if total < MIN_TRACK_S or len(x) < MIN_TRACK_S * fs:
        return None
    x = resample(x, fs)
    if x.shape[1] == 1:
        x = np.repeat(x, 2, axis=1)
    x = x[:, :2]
    # skip the first 10 s (intros and fades) when the track is long enough
    start = int(10 * FS) if len(x) > (MIN_TRACK_S + 10) * FS else 0
    body = x[start:start + int(max_s * FS)]
    split = split_of(key)
    tid = hashlib.sha1(key.encode()).hexdigest()[:10]
    rec = dict(id=tid, package=pkg, file=name, genre=genre, licence=lic, split=split,
               track_seconds=round(total, 2), seconds=round(len(body) / FS, 2),
               path=f"tracks/{split}/{tid}.wav")
    write_wav(out / rec["path"], body.mean(axis=1))
    if split == "test":
        mid = max(0, len(body) // 2 - int(CLIP_S * FS) // 2)
        clip = body[mid:mid + int(CLIP_S * FS)]
        if len(clip) == int(CLIP_S * FS) and np.sqrt(np.mean(clip ** 2)) > 10 ** (-45 / 20):
            rec["clip"] = clip  # written by the parent (needs a stable numbering)
    return rec


def build(out: Path, debs: Path, minutes_per_track: float, jobs: int):
    t0 = time.time()
    tasks = []
    for pkg, (genre, pats) in PACKAGES.items():
        if not pats:
            log(f"{pkg}: skipped (no music libsndfile can read)")
            continue
        tree = fetch(pkg, debs)
        lic = licence_of(tree, pkg)
        for name, loc in sources(pkg, tree):
            tasks.append((pkg, name, loc, genre, lic, out, minutes_per_track * 60.0))
    log(f"{len(tasks)} candidate files")
    recs, failed = [], []
    with ProcessPoolExecutor(jobs) as ex:
        futs = [(t, ex.submit(process_track, t)) for t in tasks]
        for t, fu in futs:
            try:
                r = fu.result(timeout=DECODE_TIMEOUT_S)
            except FutureTimeout:
                failed.append(f"{t[0]}/{t[1]}: decode took over {DECODE_TIMEOUT_S} s")
                continue
            except Exception as e:  # a broken file is reported, never fatal
                failed.append(f"{t[0]}/{t[1]}: {e}")
                continue
            if r is not None:
                recs.append(r)
    recs.sort(key=lambda r: (r["package"], r["file"]))
    clips_dir = out / "clips"
    clips_dir.mkdir(parents=True, exist_ok=True)
    for old in clips_dir.glob("*.wav"):
        old.unlink()
    sources_json, count = [], {}
    for r in recs:
        clip = r.pop("clip", None)
        if clip is None:
            continue
        count[r["genre"]] = count.get(r["genre"], 0) + 1
        fname = f"music_{r['genre']}_{count[r['genre']]:02d}.wav"
        from scipy.io import wavfile
        wavfile.write(clips_dir / fname, FS, np.clip(np.round(clip * 32767.0), -32768, 32767).astype(np.int16))
        r["clip_file"] = fname
        sources_json.append(dict(clip=fname, package=r["package"], file=r["file"], genre=r["genre"],
                                 licence=r["licence"], track_id=r["id"]))
    (clips_dir / "SOURCES.json").write_text(json.dumps(sources_json, indent=1))
    hours = {s: round(sum(r["seconds"] for r in recs if r["split"] == s) / 3600, 2) for s in ("train", "val", "test")}
    man = dict(sample_rate=FS, minutes_per_track=minutes_per_track, hours=hours, tracks=recs, failed=failed,
               packages={p: dict(genre=g, used=bool(pats)) for p, (g, pats) in PACKAGES.items()})
    (out / "manifest.json").write_text(json.dumps(man, indent=1))
    log(f"{len(recs)} tracks ({hours} h), {len(sources_json)} test clips, {len(failed)} failed, "
        f"{time.time() - t0:.0f} s")
    for f in failed:
        log(f"  failed: {f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "real")
    ap.add_argument("--debs", type=Path, default=ROOT / "build" / "debs")
    ap.add_argument("--minutes-per-track", type=float, default=5.0)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    build(a.out, a.debs, a.minutes_per_track, a.jobs)


if __name__ == "__main__":
    main()
