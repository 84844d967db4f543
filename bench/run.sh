#!/usr/bin/env bash
# bench/run.sh — gobake against ko v0.19.1 on the sample monorepo.
#
# Both tools build the same images, from the same source, onto the same base,
# into the same local registry (Debian's docker-registry on 127.0.0.1), with
# the same go build settings (-trimpath, -s -w, -X main.version) and an SPDX
# SBOM each. Each scenario is timed with hyperfine and reported as the ratio
# gobake/ko of the median wall times.
#
#   warm     GOCACHE, gobake's cache and the registry already hold everything
#            (the CI case of "rebuild the whole repo after a small change
#            elsewhere").
#   warm 2p  the same for linux/amd64 and linux/arm64 (an index per image).
#   cold     an empty GOCACHE and gobake cache ($GOBAKE_CACHE) before every
#            run (compiles the standard library).
#
# A "go build" row times the compile alone (the four mains, one command, into
# an empty directory, so it always links) as a floor for comparison.
#
# Usage: bash bench/run.sh [RUNS]      (RUNS defaults to 5 warm, 2 cold)
#        GOBAKE=/path/to/gobake bash bench/run.sh   to time a prebuilt binary
# Needs: go, docker-registry, skopeo, hyperfine, jq (apt), ko (go install).
set -euo pipefail

runs=${1:-5}
cold_runs=$(( runs > 2 ? 2 : runs ))
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/gobake-bench.XXXXXX)
trap 'kill "${registry_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

need() { command -v "$1" >/dev/null || { echo "bench: $1 is missing ($2)" >&2; exit 1; }; }
need go "install Go 1.26"
need docker-registry "apt-get install docker-registry"
need skopeo "apt-get install skopeo"
need hyperfine "apt-get install hyperfine"
need jq "apt-get install jq"
ko=$(command -v ko || echo "$(go env GOPATH)/bin/ko")
if [ ! -x "$ko" ] || ! "$ko" version 2>/dev/null | grep -q '^v0.19.1$'; then
  echo "bench: installing ko v0.19.1" >&2
  GOFLAGS= go install github.com/google/ko@v0.19.1
  ko="$(go env GOPATH)/bin/ko"
fi

# A real registry on a free loopback port, storage in the work dir.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<EOF
version: 0.1
storage:
  filesystem: {rootdirectory: $work/registry}
  delete: {enabled: true}
http: {addr: 127.0.0.1:$port}
log: {level: error}
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
reg=127.0.0.1:$port

# The committed two-platform static base, pushed once; both tools use it.
skopeo copy --quiet --all --dest-tls-verify=false \
  oci:"$root/testdata/monorepo/bases/static" docker://$reg/base/static:latest
base=$reg/base/static:latest

# The sample, with one base for every image (ko has no `scratch` keyword).
cp -r "$root/testdata/monorepo" "$work/mono"
rm -rf "$work/mono/.gobake"
mod=$(cd "$work/mono" && go list -m)
cat >"$work/mono/gobake.yaml" <<EOF
version: 1
registry: $reg/gobake
defaults:
  base: $base
  platforms: [linux/amd64]
  ldflags: ["-s", "-w", "-X main.version={{.Version}}"]
images:
  api: {main: ./services/api/cmd/api}
  web: {main: ./services/web/cmd/web}
  worker: {main: ./services/worker/cmd/worker}
  ctl: {main: ./tools/ctl/cmd/ctl}
EOF
cat >"$work/mono/.ko.yaml" <<EOF
defaultBaseImage: $base
defaultPlatforms: [linux/amd64]
builds:
EOF
mains=()
for m in services/api/cmd/api services/web/cmd/web services/worker/cmd/worker tools/ctl/cmd/ctl; do
  printf -- '- id: %s\n  main: ./%s\n  ldflags: ["-s", "-w", "-X main.version=0.0.0-dev"]\n' \
    "$(basename "$m")" "$m" >>"$work/mono/.ko.yaml"
  mains+=("$mod/$m")
done

if [ -n "${GOBAKE:-}" ]; then
  cp "$GOBAKE" "$work/gobake"
else
  (cd "$root" && go build -trimpath -o "$work/gobake" ./cmd/gobake)
fi
# gobake keeps linked binaries in $GOBAKE_CACHE; cold runs empty it with
# GOCACHE, so both tools start from nothing.
export GOCACHE=$work/gocache GOBAKE_CACHE=$work/gobake-cache GOFLAGS=-buildvcs=false
two=linux/amd64,linux/arm64
gobake_cmd="cd $work/mono && $work/gobake build --jobs 2 >/dev/null"
ko_cmd="cd $work/mono && KO_DOCKER_REPO=$reg/ko $ko build --base-import-paths ${mains[*]} >/dev/null 2>&1"
gobake2_cmd="cd $work/mono && $work/gobake build --jobs 2 --platform $two >/dev/null"
ko2_cmd="cd $work/mono && KO_DOCKER_REPO=$reg/ko $ko build --base-import-paths --platform $two ${mains[*]} >/dev/null 2>&1"
gobuild() { # GOARCH…: the compile alone, into an empty directory
  local c="cd $work/mono && rm -rf $work/out"
  for a in "$@"; do
    c+=" && CGO_ENABLED=0 GOOS=linux GOARCH=$a go build -trimpath -ldflags '-s -w -X main.version=0.0.0-dev' -o $work/out/$a/ ${mains[*]}"
  done
  echo "$c"
}

# Sanity: both tools succeed before anything is timed (this also fills the
# caches and the registry for the warm scenarios).
bash -c "$gobake_cmd" && bash -c "$ko_cmd" && bash -c "$gobake2_cmd" && bash -c "$ko2_cmd"

bench() { # name runs prepare gobake-command ko-command go-build-command
  local json=$work/$(tr -c 'a-z0-9\n' _ <<<"$1").json
  hyperfine --style basic --runs "$2" ${3:+--prepare "$3"} --export-json "$json" \
    -n gobake "$4" -n ko "$5" -n "go build" "$6" >&2
  jq -r --arg n "$1" '
    (.results | map({(.command): .median}) | add) as $m |
    "| \($n) | \($m.gobake*1000|floor) ms | \($m.ko*1000|floor) ms | \(($m.gobake/$m.ko*100|round)/100) | \($m["go build"]*1000|floor) ms |"' "$json"
}

{
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3), ko $("$ko" version), $(date -u +%F)"
  echo
  echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg). Median wall times."
  echo
  echo "| scenario (4 images) | gobake | ko v0.19.1 | gobake/ko | plain go build, no image |"
  echo "|---|---|---|---|---|"
  bench "warm, linux/amd64" "$runs" "" "$gobake_cmd" "$ko_cmd" "$(gobuild amd64)"
  bench "warm, amd64+arm64" "$runs" "" "$gobake2_cmd" "$ko2_cmd" "$(gobuild amd64 arm64)"
  bench "cold, linux/amd64" "$cold_runs" "rm -rf $work/gocache $work/gobake-cache" "$gobake_cmd" "$ko_cmd" "$(gobuild amd64)"
} | tee "$work/table.md"
