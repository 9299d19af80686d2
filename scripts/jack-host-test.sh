#!/usr/bin/env bash
# Runs one real-time host under a private `jackd -d dummy` server and records what it does.
#
#   scripts/jack-host-test.sh jalv OUT.wav SECONDS [-- HOST ARGS…]
#   scripts/jack-host-test.sh live OUT.wav SECONDS [-- HOST ARGS…]
#
# Graph: jack_simple_client (sines at fs/200 left, 3·fs/200 right) → host → jack_rec.
# jack_rec writes OUT.wav with 4 channels, sample-aligned: source L, source R, host out L,
# host out R (32-bit). The host is jalv running urn:adaptive-eq:stereo from
# $AEQ_LV2_BUNDLE (a folder containing adaptive-eq.lv2; HOST ARGS are jalv's, e.g.
# `-c mode=2 -c g1=-6`), or `$AEQ_BIN live` (HOST ARGS are live's, e.g. `--term warm`).
#
# Prints `server_xruns=N` (xruns logged by jackd), `recorder_overruns=N` and, for live, the
# client's own report. Exit status: 0 done, 77 a needed program is missing, 1 failure.
# Environment: AEQ_JACK_RATE (48000), AEQ_JACK_PERIOD (2048), and for live:
#   AEQ_JACK_RESTART=1   once the host is up, kill jackd (SIGKILL) and start it again; if the
#                        host exits instead of reconnecting, print `host_status=N` and its
#                        output and stop there (exit 0); otherwise record as usual.
#   AEQ_LIVE_COMMANDS=F  the host reads stdin; 1 s into the recording the lines of F are
#                        written to it one per millisecond (prints `commands_sent=N seconds=S`).
set -uo pipefail

mode="${1:-}"; out="${2:-}"; seconds="${3:-6}"
shift 3 2>/dev/null || { sed -n '2,17p' "$0"; exit 1; }
[ "${1:-}" = "--" ] && shift
rate="${AEQ_JACK_RATE:-48000}"
period="${AEQ_JACK_PERIOD:-2048}"

need=(jackd jack_wait jack_lsp jack_connect jack_simple_client jack_rec)
case "$mode" in
  jalv) need+=(jalv) ;;
  live) [ -x "${AEQ_BIN:-}" ] || { echo "AEQ_BIN must point at the adaptive-eq executable" >&2; exit 1; } ;;
  *) echo "mode must be jalv or live" >&2; exit 1 ;;
esac
for tool in "${need[@]}"; do
  command -v "$tool" >/dev/null || { echo "skip: $tool not installed" >&2; exit 77; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/aeq-jack.XXXXXX")"
server="aeq-test-$$-$RANDOM"
export JACK_DEFAULT_SERVER="$server"
export JACK_NO_AUDIO_RESERVATION=1
pids=()
stop() {  # PID: SIGTERM, then SIGKILL if it is still there after 3 s; returns its status
  kill -TERM "$1" 2>/dev/null
  for ((t = 0; t < 30; t++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
cleanup() {
  exec 3>&- 2>/dev/null
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop "${pids[i]}"; done
  rm -rf "$work"
}
trap cleanup EXIT

wait_for_port() {  # PORT TIMEOUT_TENTHS
  for ((t = 0; t < $2; t++)); do
    jack_lsp 2>/dev/null | grep -qx "$1" && return 0
    sleep 0.1
  done
  echo "error: JACK port $1 did not appear" >&2
  return 1
}

# JACK keeps a slot per server (8 in all) in a shared-memory registry and frees a dead server's
# slot only when a server of the same name starts again. A test run that was killed leaves its
# slot behind; when no JACK server runs at all, the registry and this script's segments are stale.
if ! pidof jackd >/dev/null 2>&1; then
  rm -f /dev/shm/jack-shm-registry /dev/shm/jack_aeq-test-* /dev/shm/jack_sem.*_aeq-test-* 2>/dev/null
fi

start_server() {
  jackd -n "$server" -d dummy -r "$rate" -p "$period" >"$work/jackd.log" 2>&1 &
  pids[0]=$!
  jack_wait -w -t 10 >/dev/null 2>&1 || { echo "error: jackd did not start" >&2; cat "$work/jackd.log" >&2; exit 1; }
}
start_server

# The host's stdin is a FIFO this script holds open (silent until the end, then EOF).
mkfifo "$work/stdin"
case "$mode" in
  jalv)
    [ -d "${AEQ_LV2_BUNDLE:-}/adaptive-eq.lv2" ] || { echo "AEQ_LV2_BUNDLE must contain adaptive-eq.lv2" >&2; exit 1; }
    LV2_PATH="$AEQ_LV2_BUNDLE:/usr/lib/lv2:/usr/local/lib/lv2" \
      jalv -x -n aeqhost "$@" urn:adaptive-eq:stereo <"$work/stdin" >"$work/host.log" 2>&1 &
    ;;
  live)
    stdin_flag=(--no-stdin); [ -n "${AEQ_LIVE_COMMANDS:-}" ] && stdin_flag=()
    "$AEQ_BIN" live --name aeqhost "${stdin_flag[@]}" "$@" <"$work/stdin" >"$work/host.log" 2>&1 &
    ;;
esac
host=$!
pids+=($host)
exec 3>"$work/stdin"
wait_for_port aeqhost:out_r 150 || { cat "$work/host.log" >&2; exit 1; }
if [ "$mode" = live ] && [ -n "${AEQ_JACK_RESTART:-}" ]; then
  kill -KILL "${pids[0]}"; wait "${pids[0]}" 2>/dev/null
  sleep 1.5
  if ! kill -0 "$host" 2>/dev/null; then
    wait "$host"; status=$?
    start_server  # the same name takes the killed server's registry slot; cleanup stops it cleanly
    echo "host_status=$status"; cat "$work/host.log"; exit 0
  fi
  start_server
  wait_for_port aeqhost:out_r 100 || { cat "$work/host.log" >&2; exit 1; }
fi

jack_simple_client >"$work/source.log" 2>&1 &
pids+=($!)
wait_for_port jack_simple_client:output2 100 || exit 1
jack_connect jack_simple_client:output1 aeqhost:in_l || exit 1
jack_connect jack_simple_client:output2 aeqhost:in_r || exit 1
sleep 0.5

rm -f "$out"
pacer=
if [ "$mode" = live ] && [ -n "${AEQ_LIVE_COMMANDS:-}" ]; then
  # One line per millisecond on an absolute schedule (a late line does not delay the rest).
  python3 - "$AEQ_LIVE_COMMANDS" >&3 2>"$work/pacer.log" <<'PY' &
import sys, time
lines = open(sys.argv[1]).read().splitlines()
time.sleep(1.0)
start = time.monotonic()
for i, line in enumerate(lines):
    delay = start + i * 0.001 - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
print(f"commands_sent={len(lines)} seconds={time.monotonic() - start:.3f}", file=sys.stderr)
PY
  pacer=$!
fi
timeout $((seconds + 20)) jack_rec -f "$out" -d "$seconds" -b 32 \
  jack_simple_client:output1 jack_simple_client:output2 aeqhost:out_l aeqhost:out_r \
  >"$work/rec.log" 2>&1
rec_status=$?
if [ -n "$pacer" ]; then wait "$pacer"; cat "$work/pacer.log"; fi

exec 3>&-
stop "$host"
host_status=$?

if [ "$rec_status" != 0 ] || [ ! -s "$out" ]; then
  echo "error: jack_rec failed ($rec_status)" >&2; cat "$work/rec.log" >&2; exit 1
fi
echo "server_xruns=$(grep -ci xrun "$work/jackd.log")"
echo "recorder_overruns=$(grep -Eo '[0-9]+ (buffer )?overruns' "$work/rec.log" | grep -Eo '^[0-9]+' | awk '{s += $1} END {print s + 0}')"
if [ "$mode" = live ]; then
  cat "$work/host.log"
  [ "$host_status" = 0 ] || { echo "error: adaptive-eq live exited with $host_status" >&2; exit 1; }
fi
exit 0
