#!/usr/bin/env bash
# Builds gobake, then builds the four images of the sample monorepo
# (testdata/monorepo) into its OCI layout, offline, and shows the result.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v go >/dev/null 2>&1; then
	echo "demo.sh: Go 1.26 or newer is required (https://go.dev/dl/)" >&2
	exit 1
fi
echo "using $(go version)"

bin=.gobake/bin/gobake
echo "+ go build -o $bin ./cmd/gobake"
go build -o "$bin" ./cmd/gobake

layout=testdata/monorepo/.gobake/oci
rm -rf "$layout" # a layout accumulates entries across runs; start afresh

echo "+ $bin -c testdata/monorepo/gobake.yaml build"
refs=$("$bin" -c testdata/monorepo/gobake.yaml build)
echo
echo "Built (reference@digest, inside the layout):"
echo "$refs" | sed 's/^/  /'

echo
echo "OCI layout $layout:"
echo "  $(find "$layout/blobs" -type f | wc -l) blobs, $(du -sh "$layout" | cut -f1) in all"
echo "  index.json entries:"
grep -o '"org.opencontainers.image.ref.name": *"[^"]*"' "$layout/index.json" |
	sed 's/.*: *"\(.*\)"/    \1/' || true
echo
echo "Inspect one with: skopeo inspect --config oci:$layout:<entry>"
