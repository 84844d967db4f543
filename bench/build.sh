#!/usr/bin/env bash
# bench/build.sh — `gobake build` against `go build` of the same mains, in the
# same run, on a synthetic monorepo whose binaries weigh tens of MB.
#
# The repository is internal/graph/synth with -realistic: MAINS services
# (default 8), each main linking much of the standard library (HTTP, TLS,
# JSON, templates, SQL, go/types…) and modules of gobake's go.mod (a registry
# client, YAML, go/packages): ~23 MB unstripped binaries. Images go on scratch
# into a real registry (Debian's docker-registry on 127.0.0.1), with an SPDX
# SBOM each, as `gobake build` does by default.
#
#   nothing changed        gobake build (full: plans, layers and pushes
#                          nothing new) vs go build's no-op, for linux/amd64
#                          and for linux/amd64 + linux/arm64.
#   all changed, 1 platform
#                          every main edited before each run (a string main
#                          prints), so every binary relinks: gobake build vs
#                          go build -o DIR/ of the same mains, same flags.
#   all changed, 2 platforms
#                          the same for linux/amd64 + linux/arm64 (the two go
#                          builds of the baseline run at once, as gobake's do).
#   all changed, …, OCI layout
#                          the two above into an OCI layout instead of the
#                          registry: what gobake adds where the registry does
#                          not share the machine's cores (CI pushing to a
#                          remote registry).
#
# Runs are interleaved (gobake, go build, gobake, …) so that load changes hit
# both; the table gives medians of wall time and of CPU time (user + system
# of the command and its children: the go commands, git), and the ratios
# gobake / go build. On a shared machine the CPU ratio is the steadier one.
# "gobake / its own go build" divides each gobake run by the go build it ran
# itself (the same command as the baseline's, logged by a wrapper): wall
# from the first go build's start to the last one's end, CPU summed; the
# median of those per-run ratios is what gobake adds to its compiler, with
# both sides under the same load.
# "the registry's CPU" is what the local docker-registry spent serving each
# gobake run (receiving and hashing its layers): it runs on the same cores,
# so it slows gobake as much as gobake's own CPU does, though it is not the
# CPU of gobake's process; the last column adds it to gobake's.
# Targets (issue 13): ≤ 1.15 when all images changed, ≤ 1.2 when nothing did.
#
# Usage: bash bench/build.sh [RUNS]   (default 5)
#        MAINS=N GOBAKE=/path/to/gobake bash bench/build.sh
#        BEFORE=/path/to/older/gobake bash bench/build.sh   (also times that
#        gobake, interleaved, in the same repository and caches: before/after)
#        CASES='all changed' bash bench/build.sh   (only the scenarios whose
#        names match that extended regular expression)
#        PROFILE=DIR bash bench/build.sh   (each measured gobake run writes
#        DIR/<scenario>-<run>.cpu, a CPU profile for go tool pprof, and
#        .trace, an execution trace for go tool trace: where the wall time
#        goes; tracing slows gobake a little, so take figures without it)
# Needs: go (the modules of gobake's go.mod in the module cache: build gobake
# once), docker-registry (apt), python3. Uses the default GOCACHE (set GOCACHE
# to isolate it); the first, untimed, build fills it.
set -euo pipefail

runs=${1:-5}
mains=${MAINS:-8}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/gobake-buildbench.XXXXXX")
trap 'kill "${registry_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

need() { command -v "$1" >/dev/null || { echo "bench: $1 is missing ($2)" >&2; exit 1; }; }
need go "install Go 1.26"
need docker-registry "apt-get install docker-registry"
need python3 "apt-get install python3"

gobake=${GOBAKE:-}
before=${BEFORE:-}
if [ -z "$gobake" ]; then
  gobake=$work/gobake
  (cd "$root" && go build -trimpath -o "$gobake" ./cmd/gobake)
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<EOF
version: 0.1
storage:
  filesystem: {rootdirectory: $work/registry}
http: {addr: 127.0.0.1:$port}
log: {level: error}
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done

repo=$work/synth
(cd "$root" && go run ./internal/graph/synth/cmd/synth -mains "$mains" -core 40 -per-domain 8 \
  -realistic -modules-from "$root/go.mod" "$repo")
cp "$root/go.sum" "$repo/go.sum"
(cd "$repo" && GOPROXY=off GOFLAGS=-mod=mod go mod tidy -e 2>/dev/null)  # -e: test-only dependencies of modules (testify) may be missing offline
sed -i "s|^version: 1|version: 1\nregistry: 127.0.0.1:$port/synth|" "$repo/gobake.yaml"
(cd "$repo" && git init -q . && git add -A && git -c user.name=bench -c user.email=bench@example.com commit -qm synth)

export GOBAKE_CACHE=$work/gobake-cache SOURCE_DATE_EPOCH=1700000000 GOFLAGS=-buildvcs=false
main_pkgs=$(cd "$repo" && ls -d svc/*/cmd/* | sed 's|^|./|' | tr '\n' ' ')
edit() { # every main prints another string
  sed -i -E "s|parts := \[\]string\{\"([^\"]*)\"|parts := []string{\"\1 $RANDOM\"|" "$repo"/svc/*/cmd/*/main.go
}
gobuild() { # GOARCH…: go build of every main, the architectures at once
  local pids=()
  for a in "$@"; do
    (cd "$repo" && CGO_ENABLED=0 GOOS=linux GOARCH=$a go build -trimpath \
      -ldflags "-X main.version=0.0.0-dev" -o "$work/out/$a/" $main_pkgs) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
}
gobakebuild_with() { # gobake-binary args…
  local bin=$1
  shift
  (cd "$repo" && "$bin" build --jobs 2 "$@" >/dev/null 2>"$work/gobake.log") || { cat "$work/gobake.log" >&2; exit 1; }
}
# The gobake measured runs go through a wrapper that logs each go build it
# starts (start, end, user and system seconds): gobake's own go build of the
# same mains, timed in the same run, for a second ratio that the machine's
# load moves much less (both sides share the run).
realgo=$(command -v go)
mkdir -p "$work/gowrap"
cat >"$work/gowrap/go" <<EOF
#!/usr/bin/env bash
[ "\$1" = build ] || exec "$realgo" "\$@"
exec 3>&2 4>&1
start=\$(date +%s.%N)
TIMEFORMAT='%U %S'
t=\$( { time "$realgo" "\$@" 2>&3 1>&4; } 2>&1 )
rc=\$?
echo "\$start \$(date +%s.%N) \$t" >>"$work/golog"
exit \$rc
EOF
chmod +x "$work/gowrap/go"
gobakebuild() { PATH="$work/gowrap:$PATH" gobakebuild_with "$gobake" "$@"; }

# One untimed build of everything first: fills GOCACHE, gobake's caches and
# the registry. It starts more than 2 s after the files were written, as in
# a repository where gobake ran before: a package graph loaded while a file
# is that new is not stored (graph.racyWindow), and every timed run would
# load it with go list again.
sleep 2
gobakebuild --platform linux/amd64,linux/arm64
[ -z "$before" ] || gobakebuild_with "$before" --platform linux/amd64,linux/arm64
gobuild amd64 arm64
ls -l "$work/out/amd64" >&2

exec 3>&2
# registry_cpu: the CPU seconds (user + system) the registry has used so
# far: it serves gobake's pushes on the same cores as the builds.
registry_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$registry_pid/stat"; }
# timed FILE COMMAND…: runs COMMAND and appends "wall user sys" (seconds,
# its child processes included) to FILE.
timed() {
  local out=$1 TIMEFORMAT='%R %U %S'
  shift
  { time "$@" 2>&3; } 2>>"$out"
}

measure() { # name edit? gobake-args -- goarch…
  local name=$1 change=$2 g=() a=() i
  shift 2
  while [ "$1" != "--" ]; do g+=("$1"); shift; done
  shift
  a=("$@")
  [[ $name =~ ${CASES:-.} ]] || return 0
  rm -f "$work"/t.*
  for i in $(seq "$runs"); do
    [ "$change" = yes ] && edit
    : >"$work/golog"
    if [ -n "${PROFILE:-}" ]; then
      mkdir -p "$PROFILE"
      export GOBAKE_CPUPROFILE=$PROFILE/${name//[^a-z0-9]/_}-$i.cpu GOBAKE_TRACE=$PROFILE/${name//[^a-z0-9]/_}-$i.trace
    fi
    reg0=$(registry_cpu)
    timed "$work/t.gobake" gobakebuild "${g[@]}"
    echo "$(registry_cpu) $reg0" | awk '{printf "%.2f\n", $1-$2}' >>"$work/t.registry"
    unset GOBAKE_CPUPROFILE GOBAKE_TRACE
    # gobake's go builds: from the first start to the last end, CPU summed
    # (none when nothing changed: 0 0).
    awk 'NR==1||$1<s{s=$1} $2>e{e=$2} {c+=$3+$4} END{printf "%.3f %.3f\n", (NR?e-s:0), c}' "$work/golog" >>"$work/t.inner"
    if [ -n "$before" ]; then
      [ "$change" = yes ] && edit
      timed "$work/t.before" gobakebuild_with "$before" "${g[@]}"
    fi
    [ "$change" = yes ] && edit
    timed "$work/t.go" gobuild "${a[@]}"
    echo "  $name run $i: gobake $(tail -1 "$work/t.gobake") (its go builds: span $(tail -1 "$work/t.inner"); the registry: $(tail -1 "$work/t.registry") CPU-s), ${before:+before $(tail -1 "$work/t.before"), }go build $(tail -1 "$work/t.go") (wall user sys)" >&2
  done
  python3 - "$name" "$work" "$before" <<'EOF'
import statistics, sys
name, work, before = sys.argv[1], sys.argv[2], sys.argv[3]
def rows(f):
    return [list(map(float, l.split())) for l in open(f"{work}/t.{f}")]
def med(rs, cpu):
    return statistics.median((r[1] + r[2]) if cpu else r[0] for r in rs)
g, b = rows("gobake"), rows("go")
cols = [f"{med(g, False):.2f} s", f"{med(b, False):.2f} s", f"**{med(g, False)/med(b, False):.2f}**",
        f"{med(g, True):.2f} s", f"{med(b, True):.2f} s", f"**{med(g, True)/med(b, True):.2f}**"]
inner = rows("inner")
if all(r[0] > 0 for r in inner):  # gobake ran go: its own go builds, per run
    cols += [f"{statistics.median(r[0] / i[0] for r, i in zip(g, inner)):.2f}",
             f"{statistics.median((r[1] + r[2]) / i[1] for r, i in zip(g, inner)):.2f}"]
else:
    cols += ["–", "–"]
reg = [float(l) for l in open(f"{work}/t.registry")]
cols += [f"{statistics.median(reg):.2f} s", f"{(med(g, True) + statistics.median(reg)) / med(b, True):.2f}"]
if before:
    o = rows("before")
    cols += [f"{med(o, False)/med(b, False):.2f}", f"{med(o, True)/med(b, True):.2f}"]
print(f"| {name} | " + " | ".join(cols) + " |")
EOF
}

{
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3), $(date -u +%F)."
  echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg). $mains mains, $runs interleaved runs, medians; CPU is user + system of the process and its children."
  echo
  head="| scenario ($mains images) | gobake wall | go build wall | gobake / go build, wall | gobake CPU | go build CPU | gobake / go build, CPU | gobake / its own go build, wall | the same, CPU | the registry's CPU | gobake + registry / go build, CPU |"
  rule="|---|---|---|---|---|---|---|---|---|---|---|"
  if [ -n "$before" ]; then
    head="$head before / go build, wall | before / go build, CPU |"
    rule="$rule---|---|"
  fi
  echo "$head"
  echo "$rule"
  # Nothing changed: the untimed builds above left both up to date.
  measure "nothing changed, linux/amd64" no --platform linux/amd64 -- amd64
  measure "nothing changed, amd64 + arm64" no --platform linux/amd64,linux/arm64 -- amd64 arm64
  measure "all changed, linux/amd64" yes --platform linux/amd64 -- amd64
  measure "all changed, amd64 + arm64" yes --platform linux/amd64,linux/arm64 -- amd64 arm64
  # The same into an OCI layout: no registry sharing the cores, as in CI
  # where the registry is another machine.
  measure "all changed, linux/amd64, OCI layout" yes --platform linux/amd64 --oci-layout "$work/layout" -- amd64
  measure "all changed, amd64 + arm64, OCI layout" yes --platform linux/amd64,linux/arm64 --oci-layout "$work/layout" -- amd64 arm64
  echo
  echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee "$work/table.md"
