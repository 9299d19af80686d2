"""A catalogue rendered by a real Slurm job array (Debian's slurm-wlm and munge, one node on
this machine, started by scripts/slurm/cluster.sh and stopped by the PIDs it started).

The array is scripts/slurm/catalogue-array.sh, the script docs/CATALOGUE.md shows. The
catalogue is 33 real recordings (scripts/slurm/real-music.sh: clips of drascula-music's
tracks in five formats and nested folders, one 4.7-minute file, one corrupt file). Checks:
every output exists exactly once and is byte-identical to `adaptive-eq process IN OUT` of
that file alone; no partial or hidden file is left; a task cancelled while it renders the
long file and then requeued skips what it had finished and renders the rest, with the same
result; the corrupt file fails alone and is reported; the merged summaries add up; a second
submission of the array renders only what is missing; a resubmitted single index stops with
a clear error instead of rendering the wrong slice, and renders its slice with the count given.

Needs root, the release build (`swift build -c release`, or `swift test -c release`; $AEQ_BIN
overrides) and scripts/setup.sh's packages.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("AEQ_BIN", ROOT / ".build" / "release" / "adaptive-eq"))
ARRAY = ROOT / "scripts" / "slurm" / "catalogue-array.sh"
SETTINGS = ["--term", "warm", "--intensity", "0.8"]
LONG = "long/suite.flac"
CORRUPT = "act2/corrupt.flac"
TASKS = 4


def run(args, env=None, timeout=120, check=True):
    r = subprocess.run([str(a) for a in args], env=env, capture_output=True, text=True, timeout=timeout)
    if check:
        assert r.returncode == 0, f"{' '.join(map(str, args))}: {r.stdout} {r.stderr}"
    return r


def output_name(relative: str) -> str:
    """The output's relative name: lossy inputs become .wav (docs/CATALOGUE.md)."""
    stem, ext = os.path.splitext(relative)
    return stem + ".wav" if ext in (".ogg", ".oga", ".opus", ".mp3") else relative


def every_file(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


class Cluster:
    def __init__(self, state: Path):
        self.state = state
        self.env = dict(os.environ, SLURM_CONF=str(state / "slurm.conf"), ADAPTIVE_EQ=str(BIN))

    def slurm(self, *args, check=True):
        return run(list(args), env=self.env, check=check)

    def submit(self, *args) -> str:
        return self.slurm("sbatch", "--parsable", *args).stdout.strip().split(";")[0]

    def wait(self, job: str, timeout=240):
        """Polls squeue until no task of `job` is pending, running or completing."""
        deadline = time.monotonic() + timeout
        while self.slurm("squeue", "-h", "-j", job, "-o", "%i").stdout.strip():
            assert time.monotonic() < deadline, f"job {job} still queued after {timeout} s"
            time.sleep(0.2)

    def tasks(self, job: str) -> dict[int, dict[str, str]]:
        """Each array task's fields from `scontrol show job` (no accounting here, so no sacct)."""
        found = {}
        for line in self.slurm("scontrol", "show", "job", "-o", job).stdout.splitlines():
            fields = dict(re.findall(r"(\w+)=(\S*)", line))
            # Pending tasks share one record: ArrayTaskId=2-3 or 1,3.
            for part in fields.get("ArrayTaskId", "0").split("%")[0].split(","):
                first, _, last = part.partition("-")
                for t in range(int(first), int(last or first) + 1):
                    found[t] = fields
        return found


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    assert BIN.exists(), f"{BIN} not built (run swift build -c release)"
    state = tmp_path_factory.mktemp("slurm")
    up = run([ROOT / "scripts" / "slurm" / "cluster.sh", "up", state], check=False, timeout=120)
    pids = [int(line.split()[1]) for line in (state / "pids").read_text().splitlines()] if (state / "pids").exists() else []
    try:
        assert up.returncode == 0, f"cluster did not start: {up.stderr}"
        assert len(pids) == 3
        yield Cluster(state)
    finally:
        down = run([ROOT / "scripts" / "slurm" / "cluster.sh", "down", state], check=False, timeout=120)
        assert down.returncode == 0, down.stderr
        assert not [p for p in pids if running(p, state)], "daemons still running"


def running(pid: int, state: Path) -> bool:
    """True while `pid` is one of this cluster's daemons (an exited one has no command line)."""
    try:
        return str(state).encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    """The catalogue and, for every file that reads, its single-file render."""
    work = tmp_path_factory.mktemp("catalogue")
    source = work / "in"
    run([ROOT / "scripts" / "slurm" / "real-music.sh", "catalogue", source], timeout=600)
    inputs = sorted(every_file(source))
    assert len(inputs) >= 30 and {Path(i).suffix for i in inputs} >= {".wav", ".flac", ".ogg", ".aiff"}
    singles = work / "single"
    for relative in inputs:
        if relative == CORRUPT:
            continue
        out = singles / output_name(relative)
        out.parent.mkdir(parents=True, exist_ok=True)
        run([BIN, "process", source / relative, out, *SETTINGS])
    return work, source, inputs, singles


def test_array_cancel_requeue_and_failures(cluster, catalogue):
    work, source, inputs, singles = catalogue
    out, logs, sums = work / "out", work / "logs", work / "summaries"
    logs.mkdir()
    job = cluster.submit("--output", f"{logs}/%a.out", ARRAY, source, out, sums, *SETTINGS)

    # Cancel the task that renders the long file while its partial output is being written.
    deadline = time.monotonic() + 120
    partial = None
    while partial is None:
        assert time.monotonic() < deadline, "the long file's render never started"
        partial = next(iter((out / "long").glob(".suite.flac.partial-*")), None) if (out / "long").exists() else None
        if partial is None:
            time.sleep(0.02)
    pid = int(partial.name.rsplit("-", 1)[1])
    environ = dict(v.split("=", 1) for v in Path(f"/proc/{pid}/environ").read_text().split("\0") if "=" in v)
    task = int(environ["SLURM_ARRAY_TASK_ID"])
    assert environ["SLURM_ARRAY_JOB_ID"] == job
    cluster.slurm("scancel", f"{job}_{task}")
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() or cluster.tasks(job)[task]["JobState"] != "CANCELLED":
        assert time.monotonic() < deadline, "the cancelled task did not stop"
        time.sleep(0.05)
    assert not (out / LONG).exists(), "the long file finished before the cancel: nothing was interrupted"
    # scancel sends SIGTERM first: the render deletes its hidden partial file before it stops
    # (after a SIGKILL the next run over the folder would delete it).
    assert not partial.exists(), "a cancelled render left its partial file"
    first_run = (logs / f"{task}.out").read_text()
    done_before = sum(line.startswith("ok   ") for line in first_run.splitlines())

    # Requeue it; without the start time it would wait for the credential to expire (120 s).
    # slurmd refuses a credential made in the same whole second as the cancel's revocation
    # ("Killing non-startable batch JobId=…: Job credential revoked"), so let that second end.
    time.sleep(1.1 - time.time() % 1.0)
    cluster.slurm("scontrol", "requeue", f"{job}_{task}")
    cluster.slurm("scontrol", "update", f"JobId={job}_{task}", "StartTime=now")
    merge = cluster.submit("--dependency", f"afterany:{job}", "--output", f"{logs}/merge.out",
                           "--wrap", f"'{BIN}' merge-summaries {sums}/*.json")
    cluster.wait(job)
    cluster.wait(merge)

    # Every output once, byte-identical to a single-file render; nothing partial or hidden.
    expected = {output_name(i) for i in inputs if i != CORRUPT}
    assert every_file(out) == expected
    for name in sorted(expected):
        assert (out / name).read_bytes() == (singles / name).read_bytes(), f"{name} differs from a single-file render"
    text = {t: (logs / f"{t}.out").read_text() for t in range(TASKS)}
    rendered = [line for t in text.values() for line in t.splitlines() if line.startswith("ok   ")]
    # An ok line may end with a headroom note in parentheses.
    assert sorted(line.split(" -> ")[1].split(" (")[0] for line in rendered) == sorted(str(out / n) for n in expected), \
        "every output rendered exactly once across the tasks and the requeued run"

    # The requeued task's second run (appended to its log) skipped what the first finished
    # and rendered the interrupted file.
    assert text[task].startswith(first_run)
    second = text[task][len(first_run):].splitlines()
    assert sum(line.startswith("skip ") for line in second) == done_before
    assert any(line.startswith(f"ok   {source / LONG} -> {out / LONG}") for line in second), second

    # The corrupt file failed alone: its task reports it and exits 1, the others exit 0.
    fails = [line for t in text.values() for line in t.splitlines() if line.startswith("FAIL ")]
    assert fails and all(line.startswith(f"FAIL {source / CORRUPT}: cannot read") for line in fails), fails
    states = cluster.tasks(job)
    failing = {t for t in range(TASKS) if f"FAIL {source / CORRUPT}" in text[t]}
    assert len(failing) == 1
    for t in range(TASKS):
        want = ("FAILED", "1:0") if t in failing else ("COMPLETED", "0:0")
        assert (states[t]["JobState"], states[t]["ExitCode"]) == want, f"task {t}: {states[t]}"

    # The follow-up job's merge of the four summaries.
    summaries = [json.loads((sums / f"slice-{t}.json").read_text()) for t in range(TASKS)]
    assert [s["slice"] for s in summaries] == [f"{t}/{TASKS}" for t in range(TASKS)]
    assert sum(s["files"] for s in summaries) == len(inputs)
    merged = (logs / "merge.out").read_text()
    assert merged.splitlines()[0].startswith(f"FAIL {source / CORRUPT}: cannot read"), merged
    assert f"4 of 4 slices: {len(inputs)} files: {len(inputs) - 1 - done_before} rendered, {done_before} skipped (output exists), 1 failed" in merged, merged
    assert "1 of 33 files failed" in merged
    assert cluster.tasks(merge)[0]["ExitCode"] == "1:0"


def test_second_submission_renders_only_what_is_missing(cluster, catalogue):
    work, source, inputs, singles = catalogue
    out, sums = work / "out", work / "summaries"
    assert (out / LONG).exists(), "runs after the array test"
    missing = ["act1/track1.wav", "act3/scene3/track24.wav"]
    for name in missing:
        (out / name).unlink()
    (out / "act1" / ".track1.wav.partial-4242").write_bytes(b"as a node crash leaves it")
    before = {n: (out / n).stat().st_mtime_ns for n in every_file(out)}

    job = cluster.submit("--output", f"{work}/rerun-%a.out", ARRAY, source, out, sums, *SETTINGS)
    cluster.wait(job)
    merged = run([BIN, "merge-summaries", *sorted(sums.glob("*.json"))], check=False)
    assert merged.returncode == 1 and "1 of 33 files failed" in merged.stderr
    assert f"4 of 4 slices: {len(inputs)} files: 2 rendered, {len(inputs) - 3} skipped (output exists), 1 failed" in merged.stdout
    assert every_file(out) == {output_name(i) for i in inputs if i != CORRUPT}, "the stale partial file is still there"
    for name in every_file(out):
        if name in missing:
            assert (out / name).read_bytes() == (singles / name).read_bytes()
        else:
            assert (out / name).stat().st_mtime_ns == before[name], f"{name} was rendered again"


def test_resubmitted_single_index_stops_with_a_clear_error(cluster, catalogue):
    work, source, inputs, _ = catalogue
    out, sums = work / "out", work / "summaries"
    before = {n: (out / n).stat().st_mtime_ns for n in every_file(out)}
    job = cluster.submit("--array", "2", "--output", f"{work}/single-%a.out", ARRAY, source, out, sums, *SETTINGS)
    cluster.wait(job)
    log = (work / "single-2.out").read_text()
    assert log.count("\n") == 1 and "SLURM_ARRAY_TASK_COUNT=1" in log and "--slice auto/COUNT" in log, log
    assert cluster.tasks(job)[2]["JobState"] == "FAILED"
    assert {n: (out / n).stat().st_mtime_ns for n in every_file(out)} == before

    # With the count given (a later --slice replaces the script's), that index runs its slice.
    job = cluster.submit("--array", "2", "--output", f"{work}/given-%a.out", ARRAY, source, out, sums, *SETTINGS,
                         "--slice", f"auto/{TASKS}")
    cluster.wait(job)
    summary = json.loads((sums / "slice-2.json").read_text())
    assert summary["slice"] == f"2/{TASKS}" and summary["rendered"] == 0, summary
    assert summary["skipped"] + summary["failed"] == summary["files"] >= len(inputs) // TASKS, summary
    assert {n: (out / n).stat().st_mtime_ns for n in every_file(out)} == before


def test_docs_show_the_tested_script():
    """docs/CATALOGUE.md's copy of the array script is the file this test submits."""
    docs = (ROOT / "docs" / "CATALOGUE.md").read_text()
    block = re.search(r"<!-- catalogue-array:begin -->\n```sh\n(.*?)```\n<!-- catalogue-array:end -->", docs, re.S)
    assert block, "docs/CATALOGUE.md has no catalogue-array block"
    assert block.group(1) == ARRAY.read_text(), "docs/CATALOGUE.md shows another script than scripts/slurm/catalogue-array.sh"
