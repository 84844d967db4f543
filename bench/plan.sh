#!/usr/bin/env bash
# bench/plan.sh — how fast `gobake plan` is, against `go list` on the same tree.
#
# Scenarios, each timed with hyperfine (median wall time) and run once more
# under /usr/bin/time -v for its peak RSS:
#
#   synth: go list      `go list -deps -json=<the fields plan needs>` of the
#                       mains of the synthetic monorepo (internal/graph/synth:
#                       300 mains, ~10,000 packages): what any tool that reads
#                       the import graph must at least do. (Asking for the
#                       fields keeps go list from computing staleness, which
#                       would make it 5x slower.) The baseline of the ratios.
#   synth: plan cold    `gobake plan` with its caches (file hashes, package
#                       graphs) removed before each run: go list runs.
#   synth: plan no-op   `gobake plan` again, nothing changed: the stored
#                       package graph is checked and used, go list does not run.
#   synth: plan, one file changed   a function body edited before each run.
#   synth: plan --since HEAD~1      the synthetic repository is a git
#                       repository of two commits; ref's files, and the
#                       records computed from them, are kept in
#                       $GOBAKE_CACHE between runs, as they are by default
#                       (hyperfine's warm-up run makes them).
#   synth: plan --since, ref moved   --since of a branch moved before each
#                       run to a commit never compared with (comments
#                       edited beside HEAD~1): the case of CI on every push,
#                       without the input digests of the commit known.
#   synth: plan --since HEAD~1, after a push   a new commit (a function
#                       body edited) planned once as the working tree (the
#                       run of the push before, its caches kept), then
#                       --since HEAD~1.
#   sample: go list, sample: plan no-op   the same on testdata/monorepo (a
#                       copy) after one build and one plan.
#   self: go list, self: plan no-op   the same on a copy of gobake's own
#                       repository (one image, two platforms; no build, so
#                       the image is new: reading a baseline of one record
#                       costs next to nothing).
#
# The ratio columns divide each median wall time, and each mean CPU time
# (user + system, children included), by those of go list on the same
# tree, measured in the same run (the machine may be shared: only ratios
# compare across runs).
# Targets (issue 10): synth no-op ≤ 0.5 s, a real repository's ≤ 0.3 s,
# --since ≤ 2 × a plain plan.
#
# Usage: bash bench/plan.sh [RUNS]     (RUNS defaults to 5; cold and go list use min(RUNS, 3))
#        GOBAKE=/path/to/gobake bash bench/plan.sh   to time a prebuilt binary
#        GOBAKE_BASE=/path/to/older/gobake bash bench/plan.sh   to time an
#            older binary's no-op plans (and synth's --since) too, in the
#            same run (each with its own caches, made by a plan before timing)
# Needs: go, git, hyperfine, jq (apt).
set -euo pipefail

runs=${1:-5}
few=$(( runs > 3 ? 3 : runs ))
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/gobake-planbench.XXXXXX)
trap 'rm -rf "$work"' EXIT

need() { command -v "$1" >/dev/null || { echo "bench: $1 is missing ($2)" >&2; exit 1; }; }
need go "install Go 1.26"
need git "apt-get install git"
need hyperfine "apt-get install hyperfine"
need jq "apt-get install jq"
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

gobake=${GOBAKE:-}
if [ -z "$gobake" ]; then
  gobake=$work/gobake
  (cd "$root" && go build -o "$gobake" ./cmd/gobake)
fi

export GOBAKE_CACHE=$work/gobake-cache # where --since keeps ref's files
synth=$work/synth
(cd "$root" && go run ./internal/graph/synth/cmd/synth "$synth")
echo "bench: synthetic monorepo: $(find "$synth" -name '*.go' ! -name '*_test.go' | wc -l) packages" >&2
git_() { git -C "$synth" -c user.name=bench -c user.email=bench@example.com "$@"; }
git_ init -q && git_ add -A && git_ commit -qm initial
printf '\n// Edited.\n' >>"$synth/core/c0000/c0000.go"
git_ commit -qam "edit a shared package"
# Commits beside it, each differing from the working tree in function
# bodies and comments only: the refs of "--since, ref moved", which moves
# to the next one before each run, so that neither the records kept for
# the last commit compared with (see "--since HEAD~1") nor the input
# digests of a commit seen before serve: a REF never planned, the worst
# case of CI on every push.
side=$work/side
git_ worktree add -q -b side "$side" HEAD~1
for i in $(seq 1 $(( 3 * (runs + 3) ))); do
  printf '\n// Edited on a side branch, %d.\n' "$i" >>"$side/svc/s00$(( i % 10 ))/p01/p01.go"
  git -C "$side" -c user.name=bench -c user.email=bench@example.com commit -qam "side: comment $i"
done
git_ worktree remove --force "$side"
git_ branch since-ref side~$(( 3 * (runs + 3) - 1 ))
cat >"$work/move-ref" <<EOF2
#!/usr/bin/env bash
# since-ref: the next commit of side
git -C $synth branch -f since-ref "\$(git -C $synth rev-list --reverse since-ref..side | head -1)"
EOF2
chmod +x "$work/move-ref"
# CI on every push: a new commit (a function body edited), planned once as
# the working tree (the run of the push before), then --since HEAD~1.
cat >"$work/new-commit" <<EOF2
#!/usr/bin/env bash
set -e
sed -i "s/return /return \"x\" + /" $synth/svc/s00\$(( RANDOM % 10 ))/p00/p00.go
git -C $synth -c user.name=bench -c user.email=bench@example.com commit -qam "a push"
cd $synth && "\$1" plan >/dev/null
EOF2
chmod +x "$work/new-commit"
synth_mains=./svc/.../cmd/... # the 300 mains (svc/sNNN/cmd/sNNN); ./svc/.../cmd matches none
sample_mains="./services/api/cmd/api ./services/web/cmd/web ./services/worker/cmd/worker ./tools/ctl/cmd/ctl"
fields=-json=ImportPath,Dir,Module,Imports,GoFiles,EmbedFiles

self=$work/self # gobake's own repository, without its git and gobake state
mkdir "$self"
(cd "$root" && tar -c --exclude=./.git --exclude=./.gobake .) | tar -x -C "$self"
self_mains=./cmd/gobake

sample=$work/sample
cp -r "$root/testdata/monorepo" "$sample"
rm -rf "$sample/.gobake"
# A build gives plan a baseline to compare with, so the no-op plan finds
# every image unchanged; without one (build failing) every image is new.
if ! (cd "$sample" && "$gobake" build >"$work/build.log" 2>&1); then
  echo "bench: building the sample failed, its plan finds every image new (see below)" >&2
  tail -5 "$work/build.log" >&2
fi
(cd "$sample" && "$gobake" plan >/dev/null)

# time_case NAME DIR RUNS PREPARE COMMAND: median seconds, mean CPU
# seconds (user + system) and peak RSS (KiB).
declare -A median cpu rss
names=()
time_case() {
  local name=$1 dir=$2 n=$3 prepare=$4 cmd=$5
  names+=("$name")
  (cd "$dir" && hyperfine --style basic -N --warmup 1 --runs "$n" \
      ${prepare:+--prepare "$prepare"} --export-json "$work/h.json" "$cmd" >&2)
  median[$name]=$(jq '.results[0].median' "$work/h.json")
  cpu[$name]=$(jq '.results[0].user + .results[0].system' "$work/h.json")
  [ -n "$prepare" ] && (cd "$dir" && bash -c "$prepare")
  rss[$name]=$(cd "$dir" && /usr/bin/time -f '%M' -o "$work/rss" $cmd >/dev/null 2>&1; cat "$work/rss")
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
time_case "synth: go list -deps" "$synth" "$few" "" "go list -deps $fields $synth_mains"
time_case "synth: gobake plan, cold" "$synth" "$few" "rm -rf $synth/.gobake/cache" "$gobake plan"
time_case "synth: gobake plan, no-op" "$synth" "$runs" "" "$gobake plan"
time_case "synth: gobake plan, one file changed" "$synth" "$runs" \
  "bash -c 'echo // \$RANDOM >>$synth/svc/s000/p00/p00.go'" "$gobake plan"
time_case "synth: gobake plan --since HEAD~1" "$synth" "$runs" "" "$gobake plan --since HEAD~1"
time_case "synth: gobake plan --since, ref moved" "$synth" "$runs" "$work/move-ref" "$gobake plan --since since-ref"
time_case "synth: gobake plan --since HEAD~1, after a push" "$synth" "$runs" "$work/new-commit $gobake" "$gobake plan --since HEAD~1"
time_case "sample: go list -deps" "$sample" "$runs" "" "go list -deps $fields $sample_mains"
time_case "sample: gobake plan, no-op" "$sample" "$runs" "" "$gobake plan"
(cd "$self" && "$gobake" plan >/dev/null)
time_case "self: go list -deps" "$self" "$runs" "" "go list -deps $fields $self_mains"
time_case "self: gobake plan, no-op" "$self" "$runs" "" "$gobake plan"
if [ -n "${GOBAKE_BASE:-}" ]; then
  # The older binary's no-op plans, after a plan of its own (its caches
  # may be in another format): the same trees, the same run.
  for t in synth sample self; do
    dir=${!t}
    (cd "$dir" && "$GOBAKE_BASE" plan >/dev/null && "$GOBAKE_BASE" plan >/dev/null)
    time_case "$t: GOBAKE_BASE plan, no-op" "$dir" "$runs" "" "$GOBAKE_BASE plan"
    if [ "$t" = synth ]; then
      time_case "synth: GOBAKE_BASE plan --since HEAD~1" "$dir" "$runs" "" "$GOBAKE_BASE plan --since HEAD~1"
      time_case "synth: GOBAKE_BASE plan --since, ref moved" "$dir" "$runs" "$work/move-ref" "$GOBAKE_BASE plan --since since-ref"
      time_case "synth: GOBAKE_BASE plan --since HEAD~1, after a push" "$dir" "$runs" "$work/new-commit $GOBAKE_BASE" "$GOBAKE_BASE plan --since HEAD~1"
    fi
    (cd "$dir" && "$gobake" plan >/dev/null) # leave the tree's caches to $gobake
  done
fi

ratio() { jq -n --argjson a "$1" --argjson b "$2" '$a / $b * 100 | round / 100'; }
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
echo
echo "Machine: $(nproc) cores, $mem, $(go version | cut -d' ' -f3-), $(uname -sr)"
echo
echo "Load average before and after: $load_before; $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| scenario | median wall | ratio to go list | CPU (mean) | CPU ratio | peak RSS |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for name in "${names[@]}"; do
  base=${median["${name%%:*}: go list -deps"]}
  base_cpu=${cpu["${name%%:*}: go list -deps"]}
  printf '| %s | %.2f s | %s | %.2f s | %s | %d MiB |\n' "$name" "${median[$name]}" "$(ratio "${median[$name]}" "$base")" \
    "${cpu[$name]}" "$(ratio "${cpu[$name]}" "$base_cpu")" $(( ${rss[$name]} / 1024 ))
done
echo
echo "plan --since HEAD~1 / plan no-op (synth): $(ratio "${median["synth: gobake plan --since HEAD~1"]}" "${median["synth: gobake plan, no-op"]}") in wall, $(ratio "${cpu["synth: gobake plan --since HEAD~1"]}" "${cpu["synth: gobake plan, no-op"]}") in CPU (target ≤ 2)"
echo "plan --since, ref moved / plan no-op (synth): $(ratio "${median["synth: gobake plan --since, ref moved"]}" "${median["synth: gobake plan, no-op"]}") in wall, $(ratio "${cpu["synth: gobake plan --since, ref moved"]}" "${cpu["synth: gobake plan, no-op"]}") in CPU (target ≤ 2)"
echo "plan --since HEAD~1 after a push / plan no-op (synth): $(ratio "${median["synth: gobake plan --since HEAD~1, after a push"]}" "${median["synth: gobake plan, no-op"]}") in wall, $(ratio "${cpu["synth: gobake plan --since HEAD~1, after a push"]}" "${cpu["synth: gobake plan, no-op"]}") in CPU (target ≤ 2)"
if [ -n "${GOBAKE_BASE:-}" ]; then
  echo "GOBAKE_BASE, after a push: $(ratio "${median["synth: GOBAKE_BASE plan --since HEAD~1, after a push"]}" "${median["synth: GOBAKE_BASE plan, no-op"]}") in wall, $(ratio "${cpu["synth: GOBAKE_BASE plan --since HEAD~1, after a push"]}" "${cpu["synth: GOBAKE_BASE plan, no-op"]}") in CPU"
  echo "GOBAKE_BASE, ref moved: $(ratio "${median["synth: GOBAKE_BASE plan --since, ref moved"]}" "${median["synth: GOBAKE_BASE plan, no-op"]}") in wall, $(ratio "${cpu["synth: GOBAKE_BASE plan --since, ref moved"]}" "${cpu["synth: GOBAKE_BASE plan, no-op"]}") in CPU"
  echo "GOBAKE_BASE: $(ratio "${median["synth: GOBAKE_BASE plan --since HEAD~1"]}" "${median["synth: GOBAKE_BASE plan, no-op"]}") in wall, $(ratio "${cpu["synth: GOBAKE_BASE plan --since HEAD~1"]}" "${cpu["synth: GOBAKE_BASE plan, no-op"]}") in CPU"
fi
