// Package e2e holds gobake's end-to-end tests: they build the gobake
// binary, run `gobake build` on copies of testdata/monorepo and check the
// results with real tools (docker-registry, skopeo, podman, git) on
// 127.0.0.1 only. They run in the ordinary `go test ./...`; a missing tool
// fails them (scripts/test.sh installs the tools when run as root).
//
// TestReliability attacks the release contract of docs/release.md with
// registry faults (a fault proxy), kill -9, racing releases and shallow
// clones on a tiny monorepo, holds every outcome against an invariant
// checker, and produces docs/reliability.md from what it saw.
//
// TestDocsWalkthrough runs the commands of the workflow pages of docs/
// (local development, CI, releasing, migrating from ko) as written and
// checks the output they show (see docs_test.go for the page markers).
package e2e
