"""What every section of the evaluation shares: the CLI runner, the report being built, the
clips (real recordings and synthetic clips) and the crowd data."""
from __future__ import annotations

import concurrent.futures as futures
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python"))
from aeq import crowd, tonal  # noqa: E402
from aeq.audio import read_audio, write_float_wav  # noqa: E402

#: The source tree the CLI was built from (make eval-head builds a clean export of HEAD).
SRC = Path(os.environ.get("EVAL_SRC") or ROOT).resolve()
BUNDLED_MODEL = SRC / "Sources" / "AdaptiveEQResources" / "Resources" / "AdaptiveEQModel.safetensors"
FULL_SCALE = 32767 / 32768  # a 16-bit sample at or above this has clipped


def env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


# ============================================================================ CLI
@dataclass
class Run:
    args: list
    returncode: int | None  # None: timed out
    stdout: str
    stderr: str
    seconds: float


class Cli:
    def __init__(self, binary: str, model: str | None):
        self.binary = binary
        self.model = model

    def run(self, args, timeout: float = 300.0, model: bool = False) -> Run:
        argv = [self.binary] + [str(a) for a in args]
        if model and self.model:
            argv += ["--model", self.model]
        t0 = time.monotonic()
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
            return Run(argv, r.returncode, r.stdout, r.stderr, time.monotonic() - t0)
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
            return Run(argv, None, out, err, time.monotonic() - t0)

    def process(self, inp, out, *extra) -> tuple[int, np.ndarray]:
        """Processes and reads the output; raises with the CLI's error line on failure."""
        r = self.run(["process", inp, out, "--force", *extra], model=True)
        if r.returncode != 0:
            raise RuntimeError(f"adaptive-eq process {' '.join(map(str, extra))} -> {r.returncode}: "
                               f"{r.stderr.strip()[-300:]}")
        return read_audio(out)

    def analyze(self, inp, *extra) -> dict | None:
        r = self.run(["analyze", inp, "--json", *extra], model=True, timeout=300)
        try:
            return json.loads(r.stdout) if r.returncode == 0 else None
        except json.JSONDecodeError:
            return None


def pmap(fn, items, jobs: int):
    items = list(items)
    if jobs <= 1 or len(items) <= 1:
        return [fn(i) for i in items]
    with futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        return list(ex.map(fn, items))


# ============================================================================ results
@dataclass
class Figure:
    name: str
    measured: str
    target: str
    passed: bool | None  # None: informational / not measured
    section: str


@dataclass
class Report:
    figures: list = field(default_factory=list)
    sections: dict = field(default_factory=dict)  # title -> markdown
    data: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    genres: dict = field(default_factory=dict)  # genre -> {column: text}, the report's per-genre overview
    clip_counts: dict = field(default_factory=dict)  # genre -> clips

    def genre_cells(self, columns, rows):
        """Adds columns to the per-genre overview from rows (genre, clips, value per column, …)."""
        for row in rows:
            self.clip_counts[row[0]] = row[1]
            self.genres.setdefault(row[0], {}).update(zip(columns, row[2:]))

    def figure(self, name, measured, target, passed, section):
        self.figures.append(Figure(name, measured, target, None if passed is None else bool(passed), section))

    def add(self, title: str, text: str):
        self.sections[title] = self.sections.get(title, "") + text.rstrip() + "\n\n"


def verdict(passed) -> str:
    return {True: "**pass**", False: "**FAIL**", None: "—"}[passed]


def fmt_r(r) -> str:
    return "n/a" if r is None or not np.isfinite(r) else f"{r:.3f}"


_PIPE = re.compile(r"(?<!\\)\|")  # a bare | inside a cell would split it


def md_table(header, rows) -> str:
    cells = lambda row: " | ".join(_PIPE.sub(r"\\|", str(c)) for c in row)  # noqa: E731
    out = ["| " + cells(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + cells(row) + " |" for row in rows]
    return "\n".join(out) + "\n"


# ============================================================================ inputs
@dataclass
class Clip:
    name: str
    kind: str  # music | speech | other
    genre: str  # a real recording's genre; "synthetic" or "speech" for the generated clips
    real: bool
    path: Path
    fs: int
    x: np.ndarray
    float_path: Path  # float32 copy (exact comparisons)


def _load(entries, tmp: Path) -> list[Clip]:
    clips = []
    for kind, genre, real, p in entries:
        try:
            fs, x = read_audio(p)
        except Exception as e:  # unreadable by scipy: skip, say so
            print(f"  skipping {p.name}: {e}", file=sys.stderr)
            continue
        fp = tmp / f"clip_{'real_' if real else ''}{p.stem}.wav"
        write_float_wav(fp, fs, x)
        clips.append(Clip(p.stem, kind, genre, real, p, fs, x, fp))
    return clips


def synthetic_clips(folder: Path, tmp: Path, music: int, speech: int) -> list[Clip]:
    """The generated clips: the first `music` music*.wav and `speech` speech*.wav; a folder
    without such names contributes its first music + speech *.wav files."""
    chosen = [("music", "synthetic", p) for p in sorted(folder.glob("music*.wav"))[:music]]
    chosen += [("speech", "speech", p) for p in sorted(folder.glob("speech*.wav"))[:speech]]
    if not chosen:
        chosen = [("other", "other", p) for p in sorted(folder.glob("*.wav"))[: music + speech]]
    return _load([(k, g, False, p) for k, g, p in chosen], tmp)


def real_genre(path: Path, sources: dict) -> str:
    entry = sources.get(path.name) or sources.get(path.stem) or {}
    if entry.get("genre"):
        return str(entry["genre"])
    parts = path.stem.split("_")  # music_<genre>_<nn>
    return "_".join(parts[1:-1]) if len(parts) >= 3 else "unknown"


def _sources(folder: Path) -> dict:
    """SOURCES.json by file name (a list of entries with a file/clip name, or a name -> entry map)."""
    path = folder / "SOURCES.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and isinstance(data.get("clips"), (list, dict)):
        data = data["clips"]
    if isinstance(data, dict):
        return data
    out = {}
    for e in data:
        name = e.get("clip") or e.get("file") or e.get("name")
        if name:
            out[Path(name).name] = e
    return out


def real_clips(folder: Path, tmp: Path, limit: int) -> tuple[list[Clip], dict]:
    """Real mastered recordings: every *.wav in the folder (name order, at most `limit`, spread
    over the genres when capped), with their SOURCES.json entries."""
    if not folder.is_dir():
        return [], {}
    sources = _sources(folder)
    paths = sorted(folder.glob("*.wav"))
    if 0 < limit < len(paths):  # round-robin over genres so a capped run still covers each
        by: dict[str, list] = {}
        for p in paths:
            by.setdefault(real_genre(p, sources), []).append(p)
        queues = [list(v) for _, v in sorted(by.items())]
        picked = []
        while len(picked) < limit:
            for q in queues:
                if q and len(picked) < limit:
                    picked.append(q.pop(0))
        paths = sorted(picked)
    entries = [("music", real_genre(p, sources), True, p) for p in paths]
    return _load(entries, tmp), sources


# ============================================================================ context
@dataclass
class Context:
    rep: Report
    cli: Cli
    vocab: dict
    tmp: Path
    jobs: int
    quick: bool
    synthetic: list
    real: list
    real_folder: Path | None = None
    sources: dict = field(default_factory=dict)
    _crowd: tuple | None = None

    @property
    def clips(self) -> list:
        return self.real + self.synthetic

    def sets(self) -> list[tuple[str, list]]:
        """The clip sets a figure is judged on, real recordings first (the figures that count)."""
        return [(label, c) for label, c in (("real recordings", self.real), ("synthetic clips", self.synthetic)) if c]

    def crowd(self):
        """(SAFE-DB words {word: rows}, Audealize words), cleaned by the toolkit's one rule."""
        if self._crowd is None:
            self._crowd = (crowd.safe_words(crowd.safe_rows()[0]), crowd.audealize_words())
        return self._crowd

    def crowd_curve(self, word):
        return crowd.crowd_curve(word, *self.crowd())


def by_genre(clips, values: dict, fmt, summarise=np.median) -> list[tuple]:
    """Table rows (genre, clips, summary) of per-clip values {clip name: value or list}."""
    rows = []
    for g in sorted({c.genre for c in clips}):
        v = [np.atleast_1d(values[c.name]) for c in clips if c.genre == g and c.name in values]
        if v:
            rows.append((g, len(v), fmt(summarise(np.concatenate(v)))))
    return rows


__all__ = ["ROOT", "SRC", "BUNDLED_MODEL", "FULL_SCALE", "Cli", "Run", "pmap", "Report", "Figure", "verdict",
           "fmt_r", "md_table", "Clip", "Context", "env_int", "synthetic_clips", "real_clips", "by_genre", "tonal",
           "crowd", "read_audio", "write_float_wav"]
