"""Per-block cost: `adaptive-eq bench --json`, run a few times back to back."""
from __future__ import annotations

import json

from harness import Context, env_int, md_table

TITLE = "Per-block cost"


def run(ctx: Context):
    rep, cli = ctx.rep, ctx.cli
    runs = []
    for _ in range(max(1, env_int("EVAL_BENCH_RUNS", 1 if ctx.quick else 3))):
        r = cli.run(["bench", "--json"], timeout=900, model=True)
        if r.returncode == 0:
            try:
                runs.append(json.loads(r.stdout))
            except json.JSONDecodeError:
                rep.problems.append("bench --json printed invalid JSON")
        else:
            rep.problems.append(f"bench failed ({r.returncode}): {r.stderr.strip()[-200:]}")
    if not runs:
        rep.figure("audio-thread cost", "bench did not run", "≤ 20 µs median, ≤ 150 µs p99", False, TITLE)
        return
    best = min(runs, key=lambda j: j["block"]["median_us"])
    rng = lambda key, stat: (f"{min(j[key][stat] for j in runs):.1f}–{max(j[key][stat] for j in runs):.1f}")  # noqa: E731
    b = best["block"]
    rep.figure("audio-thread cost, 512-frame stereo block", f"median {b['median_us']:.1f} µs, p99 {b['p99_us']:.1f} µs",
               "≤ 20 µs median, ≤ 150 µs p99", b["median_us"] <= 20 and b["p99_us"] <= 150, TITLE)
    alloc_ok = best.get("allocation_counting") and all(j.get("block_allocations", 1) == 0 for j in runs)
    rep.figure("allocations after prepare", f"{max(j.get('block_allocations', -1) for j in runs)} "
               + ("(counted)" if best.get("allocation_counting") else "(not counted on this platform)"),
               "0", bool(alloc_ok), TITLE)
    an, de = best["analysis"]["median_us"], best["decoder"]["median_us"]
    rep.figure("encoder / decoder", f"{an:.1f} µs / {de:.1f} µs (median)", "≤ 100 µs / ≤ 10 µs",
               an <= 100 and de <= 10, TITLE)
    rtf = max(j["offline_realtime_factor"] for j in runs)
    rep.figure("offline render", f"{rtf:.0f}× real time", "≥ 300× on one core", rtf >= 300, TITLE)
    rep.figure("locks after prepare; peers side by side", "not measured by this harness (see bench/ and the "
               "engine's tests)", "0 locks; ≥ 100× / 2× / 1× faster than peers", None, TITLE)
    rows = [(k, f"{best[k]['median_us']:.2f}", f"{best[k]['p99_us']:.1f}", rng(k, "median_us"), rng(k, "p99_us"))
            for k in ("mel", "analysis", "decoder", "eq", "block") if k in best]
    text = (f"`adaptive-eq bench --json`, run {len(runs)}× back to back; the run with the lowest block median is "
            f"shown, with the range over runs (this machine's 2 cores are shared, so p99 in particular is inflated "
            f"by other work). *analysis* = mel of 4 new frames + one streaming encoder pass; *block* = the whole "
            f"engine on a 512-frame stereo block at 44.1 kHz, analysis included.\n\n")
    text += md_table(["stage", "median µs", "p99 µs", "median range", "p99 range"], rows)
    text += (f"\nAllocations in the timed engine blocks: {', '.join(str(j.get('block_allocations')) for j in runs)}. "
             f"Offline render: {', '.join('%.0f×' % j['offline_realtime_factor'] for j in runs)} real time.\n")
    rep.add(TITLE, text)
