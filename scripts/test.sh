#!/usr/bin/env bash
# The project's whole check: formatting, go vet and every test, end-to-end
# tests included. They need Go 1.26 and docker-registry, skopeo, podman,
# runc and git; run as root, this script installs the missing ones with apt.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v go >/dev/null 2>&1; then
	echo "test.sh: Go 1.26 or newer is required (https://go.dev/dl/)" >&2
	exit 1
fi

# Debian package for each program the end-to-end tests run.
declare -A tools=(
	[/usr/bin/docker-registry]=docker-registry
	[skopeo]=skopeo
	[podman]=podman
	[runc]=runc
	[git]=git
)
missing=()
for prog in "${!tools[@]}"; do
	if ! command -v "$prog" >/dev/null 2>&1; then
		missing+=("${tools[$prog]}")
	fi
done
if ((${#missing[@]} > 0)); then
	if [[ $(id -u) -ne 0 ]]; then
		echo "test.sh: missing ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
	echo "test.sh: installing ${missing[*]}" >&2
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

# ko, the tool gobake's ko compatibility is checked against, from the Go
# module proxy.
ko_version=v0.19.1
ko_bin=$(go env GOPATH)/bin/ko
if [[ $("$ko_bin" version 2>/dev/null) != "$ko_version" ]]; then
	echo "test.sh: installing ko $ko_version" >&2
	GOFLAGS= go install "github.com/google/ko@$ko_version"
fi

echo "== gofmt" >&2
# testdata is left out, as the go tool leaves it out of ./...
unformatted=$(find . -name '*.go' -not -path './.git/*' -not -path '*/testdata/*' -not -path '*/.gobake/*' -print0 |
	xargs -0 -r gofmt -l)
if [[ -n $unformatted ]]; then
	echo "test.sh: gofmt would change these files:" >&2
	echo "$unformatted" >&2
	exit 1
fi

echo "== go vet" >&2
go vet ./...

echo "== go test" >&2
# Tests must not lean on this machine's git identity or settings: a fresh
# CI machine has none.
export GIT_CONFIG_GLOBAL=/dev/null
# -p 2: the machines have two cores; the e2e package builds images itself.
go test -p 2 -timeout 12m ./...

echo "== go test -fuzz" >&2
# Each fuzz target for a short, fixed time, one after the other (10 s each,
# 40 s in all). A crasher is written to the package's testdata/fuzz and
# fails the run; keep it there as a seed once fixed.
fuzz_targets=(
	./internal/release/gitops:FuzzEdit
	./internal/config:FuzzLoad
	./internal/resolve:FuzzScan
	./internal/release/version:FuzzParseConventional
)
for target in "${fuzz_targets[@]}"; do
	go test -run '^$' -fuzz "^${target#*:}\$" -fuzztime 10s "${target%%:*}"
done
