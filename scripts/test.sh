#!/usr/bin/env bash
# The project's whole check: formatting, go vet and every test, end-to-end
# tests included. They need Go 1.26 and docker-registry, skopeo, podman,
# runc, git, zsh and fish; run as root, this script installs the missing
# ones with apt. ko, cosign and go-cacher come from the Go module proxy.
set -euo pipefail
# Any failing step ends the script loudly, naming the step.
trap 'echo "test.sh: FAIL: $BASH_COMMAND (line $LINENO)" >&2' ERR
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
	[zsh]=zsh   # gobake completion's scripts are checked with each shell
	[fish]=fish
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

# cosign, which the signing test (e2e/signing_test.go) checks gobake's
# signatures and provenance with, offline, from the Go module proxy.
cosign_version=v3.1.3
cosign_bin=$(go env GOPATH)/bin/cosign
if ! "$cosign_bin" version --json 2>/dev/null | grep -q "\"gitVersion\": *\"$cosign_version\""; then
	echo "test.sh: installing cosign $cosign_version" >&2
	GOFLAGS= go install "github.com/sigstore/cosign/v3/cmd/cosign@$cosign_version"
fi

# go-cacher, the GOCACHEPROG program the shared build cache test
# (e2e/gocacheprog_test.go) installs from the module cache, offline.
go_cacher=github.com/bradfitz/go-tool-cache/cmd/go-cacher@v0.0.0-20260722201841-0bb331e19f64
go_cacher_bin=$(go env GOPATH)/bin/go-cacher
if ! go version -m "$go_cacher_bin" 2>/dev/null | grep -q "mod.*${go_cacher##*@}"; then
	echo "test.sh: installing ${go_cacher%@*}" >&2
	GOFLAGS= go install "$go_cacher"
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
# CI machine has none. The global git config is an empty file of its own,
# not /dev/null: `git config --global` replaces the file it writes, and as
# root it would replace the /dev/null device. It must still be empty after
# the tests.
git_global=$(mktemp "${TMPDIR:-/tmp}/gobake-guard-gitconfig.XXXXXX")
export GIT_CONFIG_GLOBAL=$git_global

# Tests write only to temporary directories: each package that runs gobake,
# podman, skopeo or ko gives them a temporary home (testutil.Main). To
# catch any that does not, the tests run with HOME pointing at an empty
# directory that must still be empty afterwards. Go keeps its own build and
# module caches (and go env file) where they were: go test itself uses them.
for v in GOCACHE GOMODCACHE GOPATH GOENV; do
	export "$v=$(go env "$v")"
done
guard_home=$(mktemp -d "${TMPDIR:-/tmp}/gobake-guard-home.XXXXXX")
trap 'rm -rf "$guard_home" "$git_global"' EXIT

# -p 2: the machines have two cores. The slowest package (e2e) takes about
# 5 minutes there; the timeout leaves room for slower machines.
status=0
env -u XDG_CACHE_HOME -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u XDG_STATE_HOME \
	-u XDG_RUNTIME_DIR -u GOBAKE_CACHE HOME="$guard_home" \
	go test -p 2 -timeout 30m ./... || status=$?

echo "== go test -fuzz" >&2
# Each fuzz target for a fixed number of runs, one after the other (about
# 40 s in all here). The budgets are counts, not times: with a time
# (-fuzztime 10s), Go 1.26's fuzzing coordinator (internal/fuzz) can
# report its own deadline as the target's failure, "context deadline
# exceeded" with no input written: the deadline's channel closes before
# the workers' context is cancelled, and only the latter is taken for a
# normal end. It failed CI once on a loaded machine. Minimizing a new
# input is bounded by a count too. A crasher is written to the package's
# testdata/fuzz and fails the run; keep it there as a seed once fixed.
fuzz_targets=(
	./internal/release/gitops:FuzzEdit:30000
	./internal/config:FuzzLoad:10000
	./internal/resolve:FuzzScan:25000
	./internal/release/version:FuzzParseConventional:50000
)
for target in "${fuzz_targets[@]}"; do
	IFS=: read -r pkg fn runs <<<"$target"
	env -u XDG_CACHE_HOME -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u XDG_STATE_HOME \
		-u XDG_RUNTIME_DIR -u GOBAKE_CACHE HOME="$guard_home" \
		go test -run '^$' -fuzz "^${fn}\$" -fuzztime "${runs}x" -fuzzminimizetime 100x "$pkg" || status=$?
done

# The go command's own usage counters (go telemetry) are the one thing
# allowed in the home.
written=$(find "$guard_home" -mindepth 1 \
	-not -path "$guard_home/.config" -not -path "$guard_home/.config/go" \
	-not -path "$guard_home/.config/go/telemetry" -not -path "$guard_home/.config/go/telemetry/*")
if [[ -n $written ]]; then
	echo "test.sh: FAIL: tests wrote to the user's home (run them through testutil.Main):" >&2
	echo "$written" | sed "s|^$guard_home|~|" >&2
	status=1
fi
if [[ -s $git_global || ! -c /dev/null ]]; then
	echo "test.sh: FAIL: tests wrote to the global git config (give git a config of the test's own: GIT_CONFIG_GLOBAL)" >&2
	status=1
fi
if ((status != 0)); then
	echo "test.sh: FAIL (exit $status)" >&2
	exit "$status"
fi
echo "test.sh: ok" >&2
