// Package e2e holds gobake's end-to-end tests: they build the gobake
// binary, run `gobake build` on copies of testdata/monorepo and check the
// results with real tools (docker-registry, skopeo, podman, git) on
// 127.0.0.1 only. They run in the ordinary `go test ./...`; a missing tool
// fails them (scripts/test.sh installs the tools when run as root).
package e2e
