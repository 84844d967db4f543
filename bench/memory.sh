#!/usr/bin/env bash
# bench/memory.sh — peak memory of `gobake build` as data and image counts grow.
#
# Each scenario is generated in a temporary directory, built once into an OCI
# layout under /usr/bin/time -v, and printed with its peak RSS and wall time
# beside a baseline measured in the same run: `go build` of the same mains with
# the same flags (what any tool building these images must at least run).
#
#   kodata 2 GiB        one image whose kodata holds 2 GiB (64 files of 32 MiB,
#                       incompressible), on scratch.
#   kodata 2 GiB + 20k  the same plus 20,000 files of 1 KiB in 200 directories.
#   N images            N small mains (default 500), one image each, on scratch,
#                       each with its own kodata file.
#
# Targets (issue 9): 2 GiB of kodata with ≤ 300 MB peak RSS; 500 images planned
# and built with bounded memory.
#
# Usage: bash bench/memory.sh [IMAGES]     (IMAGES defaults to 500)
#        GOBAKE=/path/to/gobake bash bench/memory.sh   to measure a prebuilt binary
#        SCENARIOS="kodata images" bash bench/memory.sh   to run some of kodata, kodata20k, images
# Needs: go, GNU time (apt-get install time), ~6 GiB free in $TMPDIR.
set -euo pipefail

images=${1:-500}
scenarios=${SCENARIOS:-kodata kodata20k images}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/gobake-membench.XXXXXX")
trap 'rm -rf "$work"' EXIT

need() { command -v "$1" >/dev/null || { echo "bench: $1 is missing ($2)" >&2; exit 1; }; }
need go "install Go 1.26"
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

gobake=${GOBAKE:-}
if [ -z "$gobake" ]; then
  gobake=$work/gobake
  (cd "$root" && go build -o "$gobake" ./cmd/gobake)
fi
export GOBAKE_CACHE=$work/gobake-cache SOURCE_DATE_EPOCH=1700000000
export GOFLAGS=-trimpath CGO_ENABLED=0

# module DIR: a Go module without dependencies.
module() {
  mkdir -p "$1"
  printf 'module example.com/mem\n\ngo 1.26\n' >"$1/go.mod"
}

# main DIR: a small main that reads its kodata.
main_pkg() {
  mkdir -p "$1"
  cat >"$1/main.go" <<'EOF'
package main

import (
	"fmt"
	"os"
)

func main() {
	entries, _ := os.ReadDir(os.Getenv("KO_DATA_PATH"))
	fmt.Println(len(entries), "files")
}
EOF
}

# measure NAME DIR COMMAND...: peak RSS (KiB) and wall time of one run.
declare -A rss wall
names=()
measure() {
  local name=$1 dir=$2
  shift 2
  names+=("$name")
  echo "bench: $name" >&2
  if ! (cd "$dir" && /usr/bin/time -f '%M %e' -o "$work/time" "$@" >"$work/out.log" 2>&1); then
    echo "bench: $name failed:" >&2
    tail -20 "$work/out.log" >&2
    exit 1
  fi
  local r w
  read -r r w <"$work/time"
  rss[$name]=$r wall[$name]=$w
}

# kodata DIR: 2 GiB of incompressible files under DIR.
kodata() {
  mkdir -p "$1"
  for i in $(seq -w 1 64); do
    head -c 32M /dev/urandom >"$1/blob$i.bin"
  done
}

single() { # single NAME DIR: a one-image repository at DIR (kodata made by the caller)
  cat >"$2/gobake.yaml" <<'EOF'
version: 1
defaults:
  base: scratch
  platforms: [linux/amd64]
  ldflags: [-s -w]
images:
  app:
    main: ./cmd/app
EOF
  measure "$1: go build" "$2" go build -ldflags='-s -w' -o "$work/bin/app" ./cmd/app
  measure "$1: gobake build" "$2" "$gobake" build --oci-layout "$work/layout-$RANDOM"
}

for s in $scenarios; do
  case $s in
  kodata)
    d=$work/kodata
    module "$d"; main_pkg "$d/cmd/app"; kodata "$d/cmd/app/kodata"
    single "kodata 2 GiB" "$d"
    rm -rf "$d" "$work"/layout-*
    ;;
  kodata20k)
    d=$work/kodata20k
    module "$d"; main_pkg "$d/cmd/app"; kodata "$d/cmd/app/kodata"
    for j in $(seq 1 200); do
      mkdir -p "$d/cmd/app/kodata/small/$j"
      for k in $(seq 1 100); do head -c 1024 /dev/urandom >"$d/cmd/app/kodata/small/$j/$k.txt"; done
    done
    single "kodata 2 GiB + 20,000 files" "$d"
    rm -rf "$d" "$work"/layout-*
    ;;
  images)
    d=$work/images
    module "$d"
    {
      printf 'version: 1\ndefaults:\n  base: scratch\n  platforms: [linux/amd64]\n  ldflags: [-s -w]\nimages:\n'
      for i in $(seq -w 1 "$images"); do printf '  svc%s:\n    main: ./cmd/svc%s\n' "$i" "$i"; done
    } >"$d/gobake.yaml"
    # One mkdir and shell builtins: a process per file made the set-up of
    # 500 images take minutes on a busy machine.
    main_pkg "$work/template"
    src=$(<"$work/template/main.go")
    dirs=()
    for i in $(seq -w 1 "$images"); do dirs+=("$d/cmd/svc$i/kodata"); done
    mkdir -p "${dirs[@]}"
    for k in "${dirs[@]}"; do
      printf '%s\n' "$src" >"${k%/kodata}/main.go"
      i=${k%/kodata}
      printf '%s\n' "${i##*/}" >"$k/name.txt"
    done
    mkdir -p "$work/bin/many"
    measure "$images images: go build" "$d" go build -ldflags='-s -w' -o "$work/bin/many/" ./cmd/...
    measure "$images images: gobake build" "$d" "$gobake" build --oci-layout "$work/layout-many"
    rm -rf "$d" "$work"/layout-*
    ;;
  *) echo "bench: unknown scenario $s (kodata, kodata20k, images)" >&2; exit 1 ;;
  esac
done

mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
echo
echo "Machine: $(nproc) cores, $mem, $(go version | cut -d' ' -f3-), $(uname -sr)"
echo
echo "| scenario | peak RSS | wall |"
echo "| --- | ---: | ---: |"
for name in "${names[@]}"; do
  printf '| %s | %d MiB | %.1f s |\n' "$name" $(( ${rss[$name]} / 1024 )) "${wall[$name]}"
done
