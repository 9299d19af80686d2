"""Setup: what was measured (commit, binary, model, machine, clips)."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
import subprocess
from pathlib import Path

from harness import ROOT, SRC, Context, md_table

TITLE = "Setup"


def run(ctx: Context, model_path: Path | None):
    rep, cli, vocab = ctx.rep, ctx.cli, ctx.vocab
    def git(*a):
        try:
            return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout.strip()
        except Exception:
            return "?"
    lines = [f"- date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
             f"- commit: `{git('rev-parse', '--short', 'HEAD')}` ({git('log', '-1', '--format=%s')[:80]})",
             f"- binary: `{os.path.relpath(cli.binary, ROOT)}` (`swift build -c release`)"]
    dirty = [ln.split(maxsplit=1)[-1] for ln in git("status", "--porcelain", "--", "Sources", "Package.swift").splitlines()
             if ln.strip()]
    if SRC != ROOT:
        lines.append(f"- built from a clean export of the commit (`git archive HEAD` into `{os.path.relpath(SRC, ROOT)}`), "
                     "so uncommitted work in the tree is not measured")
    elif dirty:
        lines.append(f"- **the work tree differed from the commit** when the CLI was built: {len(dirty)} uncommitted "
                     f"path(s) under Sources/ or Package.swift ({', '.join(dirty[:6])}{' …' if len(dirty) > 6 else ''})")
    if model_path and model_path.exists():
        digest = hashlib.sha256(model_path.read_bytes()).hexdigest()[:16]
        rel = os.path.relpath(model_path, ROOT) if model_path.is_relative_to(ROOT) else str(model_path)
        lines.append(f"- model: `{rel}` ({model_path.stat().st_size:,} bytes, sha256 {digest}…), "
                     f"{len(vocab)} words in its vocabulary")
    else:
        lines.append("- model: **missing** — the model-dependent figures were not measured")
    try:
        load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        load = "?"
    lines.append(f"- machine: {platform.machine()}, {os.cpu_count()} cores, load average {load} at start "
                 "(shared machine: timings are noisy)")
    for label, clips in ctx.sets():
        lines.append(f"- {label}: {len(clips)} from `{shown(clips[0].path.parent)}`"
                     + (f" ({', '.join(f'{g}: {n}' for g, n in genres(clips))})" if clips[0].real else ""))
    if not ctx.clips:
        lines.append("- clips: **none found** — the clip-based figures were not measured")
    if ctx.quick:
        lines.append("- **quick mode** (EVAL_QUICK=1): fewer clips, colourings, intensities and words; "
                     "for development, not for the figures that count")
    rep.add(TITLE, "\n".join(lines) + "\n")
    rows = []
    for c in ctx.clips:
        src = ctx.sources.get(c.path.name) or ctx.sources.get(c.name) or {}
        origin = " / ".join(str(src[k]) for k in ("package", "track", "file") if src.get(k)) or ("generated" if not c.real else "—")
        rows.append((c.name, c.genre, f"{c.x.shape[0] / c.fs:.1f} s", c.fs, c.x.shape[1], origin,
                     src.get("licence") or src.get("license") or ""))
    if rows:
        rep.add(TITLE, "<details><summary>Clips</summary>\n\n" + md_table(
            ["clip", "genre", "length", "Hz", "channels", "source", "licence"], rows) + "\n</details>\n")


def shown(path: Path) -> str:
    return os.path.relpath(path, ROOT) if path.resolve().is_relative_to(ROOT) else str(path)


def genres(clips):
    out = {}
    for c in clips:
        out[c.genre] = out.get(c.genre, 0) + 1
    return sorted(out.items())
