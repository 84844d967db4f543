#!/usr/bin/env bash
# bench/shard.sh — a release sharded over N processes against an unsharded one.
#
# On the synthetic monorepo (internal/graph/synth: 300 mains, ~10,000
# packages) with every image new (a first release: all images changed), each
# scenario releases the same commit from the same start:
#
#   unsharded   gobake release in one clone.
#   N shards    gobake release --warm --shards N (the plan job, with
#               WARM=1: it compiles the packages several shards need into
#               the shared cache), then gobake release --shard K/N for
#               K = 1..N, at once, each in a clone of its own (a CI runner
#               each), then gobake release --finalize in another clone.
#
# The repository has a gitops: stanza: a bare deployment repository whose
# kustomization.yaml names every image, so that finalize (and the
# unsharded release) make the GitOps commit of every image as a real
# release would. Every scenario gets its own registry repositories, its
# own copies of the source and deployment remotes and its own copy of a
# GOCACHE holding the standard library
# (built once beforehand), shared by the scenario's processes as a
# GOCACHEPROG cache would be shared by CI runners; each process gets an empty
# gobake binary cache ($GOBAKE_CACHE), as a fresh runner has. GNU time gives
# each process's wall time and CPU time (user + sys, children included).
# The digests and the GitOps commit's kustomization.yaml of every sharded
# release are checked equal to the unsharded one's.
#
# Reported: each shard's wall and CPU time, finalize's, and the total CPU of
# the N shards and finalize against the unsharded release, which runs
# first and again last (BASELINES=1: only first): the ratios are against
# the mean of both, as the machine may be shared and its load change.
# Targets (issue 11): finalize ≤ 2 s for 300 images; total CPU of N shards
# ≤ 1.1 × the unsharded release.
#
# Usage: bash bench/shard.sh            (MAINS=300, SHARDS="1 2 4")
#        MAINS=60 SHARDS="2 4" bash bench/shard.sh   a smaller repository
#        SYNTH="-core 20 -per-domain 2" bash bench/shard.sh
#                                       300 images of few packages: cheap
#                                       to build, for timing finalize
#        GOBAKE=/path/to/gobake bash bench/shard.sh  to time a prebuilt binary
#        PROFILE=DIR bash bench/shard.sh  CPU profiles of every finalize
#                                         (DIR/finalize-N.pprof)
#        WARM=1 bash bench/shard.sh       gobake release --warm first (its
#                                         CPU counted in the shards' total)
#        SEQUENTIAL=1 bash bench/shard.sh  the shards one after another,
#                                         each finding in the shared GOCACHE
#                                         what the ones before compiled:
#                                         the best a shared cache gives
#        KEEP=DIR bash bench/shard.sh     keep the work in DIR (new or
#                                         empty), with the state each
#                                         finalize started from, then
#        REPLAY=DIR [RUNS=3] bash bench/shard.sh
#                                         time only finalize again from
#                                         that state (e.g. GOBAKE= another
#                                         build), RUNS times per N; after
#                                         each, the floor: the registry
#                                         requests of any release of those
#                                         images alone (bench/tagfloor: per
#                                         image a GET of the version tag, a
#                                         GET by digest, a PUT per tag, as
#                                         many at once as gobake makes),
#                                         and finalize's wall / the floor's
# Needs: go, git, docker-registry, jq, GNU time (apt-get install time).
set -euo pipefail

mains=${MAINS:-300}
shard_counts=${SHARDS:-1 2 4}
synth_flags=${SYNTH:-}
profile=${PROFILE:-}
sequential=${SEQUENTIAL:-}
warm=${WARM:-}
keep=${KEEP:-}
replay=${REPLAY:-}
runs=${RUNS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "$replay" ]; then
  work=$(cd "$replay" && pwd)
  trap 'kill "${registry_pid:-0}" 2>/dev/null || true' EXIT
elif [ -n "$keep" ]; then
  mkdir -p "$keep"
  [ -z "$(ls -A "$keep")" ] || { echo "bench: KEEP=$keep is not empty" >&2; exit 1; }
  work=$(cd "$keep" && pwd)
  trap 'kill "${registry_pid:-0}" 2>/dev/null || true' EXIT
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/gobake-shardbench.XXXXXX")
  trap 'kill "${registry_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
fi

need() { command -v "$1" >/dev/null || { echo "bench: $1 is missing ($2)" >&2; exit 1; }; }
need go "install Go 1.26"
need git "apt-get install git"
need docker-registry "apt-get install docker-registry"
need jq "apt-get install jq"
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

gobake=${GOBAKE:-}
if [ -z "$gobake" ]; then
  gobake=$work/gobake${replay:+-replay}
  (cd "$root" && go build -o "$gobake" ./cmd/gobake)
fi
git() { command git -c user.name=bench -c user.email=bench@localhost -c init.defaultBranch=main "$@"; }

# A real registry on a free loopback port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<EOF
version: 0.1
storage:
  filesystem: {rootdirectory: $work/registry}
http: {addr: 127.0.0.1:$port}
log: {level: error, accesslog: {disabled: true}}
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
reg=127.0.0.1:$port

# run_timed LOG DIR ARGS…: gobake ARGS in DIR under GNU time; LOG.time gets
# "wall user sys".
run_timed() {
  local log=$1 dir=$2; shift 2
  (cd "$dir" && GOCACHE=$gocache GOBAKE_CACHE=$(mktemp -d "$work/gobakecache.XXXXXX") GOBAKE_REGISTRY=$reg/$scenario \
    GOBAKE_CPUPROFILE=${cpuprofile:-} /usr/bin/time -f '%e %U %S' -o "$log.time" "$gobake" "$@" >"$log.out" 2>"$log.err") \
    || { echo "bench: $scenario: gobake $* failed:" >&2; tail -20 "$log.err" >&2; exit 1; }
}
# new_scenario NAME: fresh remotes, GOCACHE and registry prefix.
new_scenario() {
  scenario=$1
  rm -rf "$work/s" 2>/dev/null || { sleep 5; rm -rf "$work/s"; } # a clone's detached gc may still be writing
  mkdir -p "$work/s"
  cp -r "$work/origin.git" "$work/s/origin.git"
  cp -r "$work/deploy.git" "$work/s/deploy.git"
  gocache=$work/s/gocache
  cp -r "$work/gocache-std" "$gocache"
}
clone() { git clone -q "$work/s/origin.git" "$work/s/$1"; echo "$work/s/$1"; }
cpu() { awk '{printf "%.1f", $2 + $3}' "$1.time"; }
wall() { awk '{printf "%.1f", $1}' "$1.time"; }
digests() { jq -c '[.images[] | {(.image): .digest}] | add' "$1"; }
# deployed: the deployment as the GitOps commit left it, the registry
# prefix (one per scenario) taken out.
deployed() { git -C "$work/s/deploy.git" show main:kustomization.yaml | sed "s|$reg/$scenario/||g"; }

# replay: finalize again, RUNS times per N, from the state a KEEP run
# saved before each finalize.
if [ -n "$replay" ]; then
  want=$(digests "$work/unsharded.json")
  want_deploy=$(cat "$work/unsharded-deploy.yaml")
  gocache=$work/gocache-std # finalize compiles nothing
  # The floor: the registry requests any release of these images makes
  # (bench/tagfloor), as many at once as gobake's registryJobs.
  (cd "$root" && go build -o "$work/tagfloor" ./bench/tagfloor)
  jobs=$(sed -n 's/^const registryJobs = \([0-9]*\)$/\1/p' "$root/internal/release/push.go")
  [ -n "$jobs" ] || { echo "bench: no registryJobs in internal/release/push.go" >&2; exit 1; }
  echo "| N | finalize wall s | finalize CPU s | floor wall s | finalize / floor | load |"
  echo "|---|---|---|---|---|---|"
  for n in $shard_counts; do
    scenario=shards$n
    pre=$work/pre-finalize-$n
    [ -d "$pre" ] || { echo "bench: $pre is missing: KEEP=$work with SHARDS including $n first" >&2; exit 1; }
    for run in $(seq "$runs"); do
      rm -rf "$work/s" 2>/dev/null || { sleep 5; rm -rf "$work/s"; }
      rm -rf "$work/registry/docker/registry/v2/repositories/$scenario" && mkdir -p "$work/s"
      cp -r "$pre/origin.git" "$pre/deploy.git" "$work/s/"
      cp -a "$pre/repositories" "$work/registry/docker/registry/v2/repositories/$scenario"
      dir=$(clone finalize)
      cpuprofile=${profile:+$profile/finalize-$n-$run.pprof}
      run_timed "$work/s/finalize" "$dir" release --finalize --shards "$n" --output "$work/s/finalize.json"
      cpuprofile=
      [ "$(digests "$work/s/finalize.json")" = "$want" ] || { echo "bench: $n shards: the digests differ from the unsharded release's" >&2; exit 1; }
      [ "$(deployed)" = "$want_deploy" ] || { echo "bench: $n shards: the GitOps commit differs from the unsharded release's" >&2; exit 1; }
      floor=$("$work/tagfloor" -report "$work/s/finalize.json" -jobs "$jobs" 2>"$work/s/floor.err") \
        || { cat "$work/s/floor.err" >&2; exit 1; }
      echo "| $n | $(wall "$work/s/finalize") | $(cpu "$work/s/finalize") | $floor | $(awk -v a="$(wall "$work/s/finalize")" -v b="$floor" 'BEGIN {printf "%.2f", a / b}') | $(cut -d' ' -f1 /proc/loadavg) |"
    done
  done
  echo
  echo "$(grep -c . "$work/images") images; $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the end."
  exit 0
fi

# The synthetic monorepo, committed, with a bare source remote, and a
# bare deployment repository naming every image (each scenario copies it to
# $work/s/deploy.git, where gobake.yaml's gitops: stanza points).
# shellcheck disable=SC2086 # SYNTH is a list of flags
(cd "$root" && go run ./internal/graph/synth/cmd/synth -mains "$mains" $synth_flags "$work/src")
printf '.gobake/\n' >"$work/src/.gitignore"
awk '/^images:/ {on = 1; next} on && /^  [a-z0-9]+:$/ {sub(":", "", $1); print $1}' "$work/src/gobake.yaml" >"$work/images"
[ "$(grep -c . "$work/images")" = "$mains" ] || { echo "bench: found $(grep -c . "$work/images") images in the synthetic gobake.yaml, want $mains" >&2; exit 1; }
printf '\ngitops:\n  repo: %s\n  targets:\n    - file: kustomization.yaml\n' "$work/s/deploy.git" >>"$work/src/gobake.yaml"
(cd "$work/src" && git init -q && git add -A && git commit -qm synth)
git clone -q --bare "$work/src" "$work/origin.git"
mkdir "$work/deploy"
{
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\nimages:\n'
  while read -r img; do printf '  - name: %s\n    newTag: 0.0.0\n' "$img"; done <"$work/images"
} >"$work/deploy/kustomization.yaml"
(cd "$work/deploy" && git init -q && git add -A && git commit -qm deploy)
git clone -q --bare "$work/deploy" "$work/deploy.git"
# No background gc in the remotes: a receive-pack's detached gc --auto
# would still be writing when the next scenario removes them.
for r in "$work/origin.git" "$work/deploy.git"; do
  git -C "$r" config gc.auto 0 && git -C "$r" config receive.autogc false && git -C "$r" config maintenance.auto false
done
packages=$(find "$work/src" -name '*.go' ! -name '*_test.go' | wc -l)
echo "bench: synthetic monorepo: $mains images, $packages packages" >&2

# A GOCACHE with the standard library as gobake builds it: one image of
# another repository built once. Each scenario starts from a copy.
mkdir -p "$work/warm/cmd/warm"
printf 'module example.com/warm\n\ngo 1.26.0\n' >"$work/warm/go.mod"
printf 'package main\n\nimport "strings"\n\nfunc main() { println(strings.ToUpper("w")) }\n' >"$work/warm/cmd/warm/main.go"
cat >"$work/warm/gobake.yaml" <<'EOF'
version: 1
defaults:
  base: scratch
  platforms: [linux/amd64]
  ldflags: ["-s -w", "-X main.version={{.Version}}"]
images:
  warm: {main: ./cmd/warm}
EOF
(cd "$work/warm" && GOCACHE=$work/gocache-std GOBAKE_CACHE=off "$gobake" build --oci-layout "$work/warm-oci" >/dev/null 2>"$work/warm.log") \
  || { cat "$work/warm.log" >&2; exit 1; }

load_start=$(cut -d' ' -f1 /proc/loadavg)
base_cpus=() rows=() totals=()

# unsharded NAME: the unsharded release, its CPU appended to base_cpus.
unsharded() {
  new_scenario "$1"
  local dir
  dir=$(clone main)
  run_timed "$work/$1" "$dir" release --output "$work/$1.json"
  base_cpus+=("$(cpu "$work/$1")")
  [ "$(jq '.images | length' "$work/$1.json")" = "$mains" ] || { echo "bench: the unsharded release released $(jq '.images | length' "$work/$1.json") images, want $mains" >&2; exit 1; }
  rows+=("| unsharded ($1) | $(wall "$work/$1") | $(cpu "$work/$1") | – | – | $(cpu "$work/$1") |")
  totals+=("$(cpu "$work/$1")")
  echo "bench: $1: wall $(wall "$work/$1") s, CPU $(cpu "$work/$1") s" >&2
}

unsharded unsharded
want=$(digests "$work/unsharded.json")
want_deploy=$(deployed)
printf '%s\n' "$want_deploy" >"$work/unsharded-deploy.yaml"
[ "$want_deploy" != "$(git -C "$work/deploy.git" show main:kustomization.yaml)" ] || { echo "bench: the unsharded release made no GitOps commit" >&2; exit 1; }

for n in $shard_counts; do
  new_scenario "shards$n"
  warm_cpu=0
  if [ -n "$warm" ]; then
    dir=$(clone plan)
    run_timed "$work/s/warm" "$dir" release --warm --shards "$n"
    warm_cpu=$(cpu "$work/s/warm")
    echo "bench: $n shards: warm wall $(wall "$work/s/warm") s, CPU $warm_cpu s: $(grep -o '[0-9]* package(s) compiled' "$work/s/warm.err" || echo nothing compiled)" >&2
  fi
  pids=()
  for k in $(seq "$n"); do
    dir=$(clone "shard$k")
    if [ -n "$sequential" ]; then
      run_timed "$work/s/shard$k" "$dir" release --shard "$k/$n" --output "$work/s/shard$k.json"
      continue
    fi
    run_timed "$work/s/shard$k" "$dir" release --shard "$k/$n" --output "$work/s/shard$k.json" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done # (none when sequential)
  if [ -n "$keep" ]; then # the state finalize starts from, for REPLAY
    mkdir "$work/pre-finalize-$n"
    cp -r "$work/s/origin.git" "$work/s/deploy.git" "$work/pre-finalize-$n/"
    cp -a "$work/registry/docker/registry/v2/repositories/$scenario" "$work/pre-finalize-$n/repositories"
  fi
  dir=$(clone finalize)
  cpuprofile=${profile:+$profile/finalize-$n.pprof}
  run_timed "$work/s/finalize" "$dir" release --finalize --shards "$n" --output "$work/s/finalize.json"
  cpuprofile=
  got=$(digests "$work/s/finalize.json")
  [ "$got" = "$want" ] || { echo "bench: $n shards: the digests differ from the unsharded release's" >&2; exit 1; }
  [ "$(deployed)" = "$want_deploy" ] || { echo "bench: $n shards: the GitOps commit differs from the unsharded release's" >&2; exit 1; }
  shard_walls=() shard_cpus=() sum=$warm_cpu
  for k in $(seq "$n"); do
    shard_walls+=("$(wall "$work/s/shard$k")")
    shard_cpus+=("$(cpu "$work/s/shard$k")")
    sum=$(awk -v a="$sum" -v b="$(cpu "$work/s/shard$k")" 'BEGIN {printf "%.1f", a + b}')
    echo "bench: $n shards: shard $k/$n: $(jq '.images | length' "$work/s/shard$k.json") image(s), wall $(wall "$work/s/shard$k") s, CPU $(cpu "$work/s/shard$k") s" >&2
  done
  fin_cpu=$(cpu "$work/s/finalize")
  all=$(awk -v a="$sum" -v b="$fin_cpu" 'BEGIN {printf "%.1f", a + b}')
  echo "bench: $n shards: finalize wall $(wall "$work/s/finalize") s, CPU $fin_cpu s; total CPU $all s (unsharded: ${base_cpus[*]} s)" >&2
  rows+=("| $n shard(s)${sequential:+ one after another}${warm:+, warm $warm_cpu s} | $(IFS=/; echo "${shard_walls[*]}") | $(IFS=/; echo "${shard_cpus[*]}") | $(wall "$work/s/finalize") | $fin_cpu | $all |")
  totals+=("$all")
done

# The load of the machine changes over the run: the unsharded release
# again at the end, and the ratios against the mean of both.
[ "${BASELINES:-2}" -lt 2 ] || unsharded unsharded-again
[ "$(digests "$work/unsharded-again.json" 2>/dev/null || echo "$want")" = "$want" ] || { echo "bench: the unsharded releases' digests differ" >&2; exit 1; }
base_cpu=$(printf '%s\n' "${base_cpus[@]}" | awk '{s += $1} END {printf "%.1f", s / NR}')

mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
echo
echo "$mains images ($packages packages), all new, GitOps commit of every image; $(nproc) cores, $mem, load average $load_start at the start, $(cut -d' ' -f1 /proc/loadavg) at the end; shards run $([ -n "$sequential" ] && echo "one after another" || echo "at once") on this machine, sharing one GOCACHE (standard library warm)."
echo
echo "| release | wall s (each shard) | CPU s (each shard) | finalize wall s | finalize CPU s | total CPU s | × unsharded (mean $base_cpu s) |"
echo "|---|---|---|---|---|---|---|"
for i in "${!rows[@]}"; do
  echo "${rows[$i]} $(awk -v a="${totals[$i]}" -v b="$base_cpu" 'BEGIN {printf "%.2f", a / b}') |"
done
echo
echo "per image (unsharded): $(awk -v a="$base_cpu" -v n="$mains" 'BEGIN {printf "%.2f", a / n}') CPU s"
