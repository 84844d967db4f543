package release_test

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gobake/gobake/internal/release"
)

// TestWarm: release --warm --shards 2 compiles into the Go build cache the
// package both shards' images import (api and web land in different
// shards), as their builds will compile it, with the standard library
// packages it imports, and not the one only api imports; nothing else
// happens: no image, tag or claim. With one shard there is nothing to
// share.
func TestWarm(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.clone(t)
	nonce := fmt.Sprint(time.Now().UnixNano()) // a package no build cache holds yet
	web := "package main\n\nimport \"example.com/m/shared\"\n\nvar version = \"dev\"\n\nfunc main() { println(shared.Value(), version) }\n"
	api := "package main\n\nimport (\n\t\"example.com/m/apionly\"\n\t\"example.com/m/shared\"\n)\n\nvar version = \"dev\"\n\nfunc main() { println(shared.Value(), apionly.Value(), version) }\n"
	c.Commit("feat: a package both images share, one only api imports", map[string]string{
		"shared/shared.go":   "package shared\n\nimport \"strings\"\n\nfunc Value() string { return strings.ToUpper(\"" + nonce + "\") }\n",
		"apionly/apionly.go": "package apionly\n\nfunc Value() string { return \"" + nonce + "\" }\n",
		"api/main.go":        api,
		"web/main.go":        web,
	})
	c.Git("push", "--quiet", "origin", "main")
	stale := func(pkg string) string { // as the shards' builds will see it: linux/amd64, -trimpath, CGO off
		t.Helper()
		cmd := exec.Command("go", "list", "-trimpath", "-f", "{{.Stale}}", pkg)
		cmd.Dir = c.Dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	const shared, apiOnly = "example.com/m/shared", "example.com/m/apionly"
	if got := stale(shared) + " " + stale(apiOnly); got != "true true" {
		t.Fatalf("shared and api's package stale before warming: %s, want true true", got)
	}

	rep, err, log := w.run(t, c.Dir, release.Options{Warm: true, Shards: 1})
	if err != nil || !strings.Contains(log, "nothing to compile") || stale(shared) != "true" {
		t.Fatalf("warm for 1 shard: %v, stale %s\n%s", err, stale(shared), log)
	}
	rep, err, log = w.run(t, c.Dir, release.Options{Warm: true, Shards: 2})
	if err != nil {
		t.Fatalf("warm: %v\n%s", err, log)
	}
	// shared, and the standard library's strings and its imports: both
	// shards need them (a cache after a Go upgrade has none of them).
	if m := regexp.MustCompile(`warm: (\d+) package\(s\) compiled for 2 shard\(s\)`).FindStringSubmatch(log); m == nil || m[1] == "1" {
		t.Errorf("log does not say shared and the standard library packages were compiled:\n%s", log)
	}
	if got := stale(shared); got != "false" {
		t.Errorf("shared package stale after warming: %s, want false (in the build cache)", got)
	}
	if got := stale(apiOnly); got != "true" {
		t.Errorf("api's own package stale after warming: %s, want true (one shard needs it: not compiled ahead)", got)
	}
	if rep.Released || len(rep.Images) > 0 || len(rep.GitTags) > 0 || len(remoteTags(t, w.origin)) > 0 {
		t.Errorf("warm released %v, claimed %v, remote tags %v: want nothing", versions(rep), rep.GitTags, remoteTags(t, w.origin))
	}
	if d := w.tag(t, "api", "latest"); d != "" {
		t.Errorf("warm pushed api:latest (%s)", d)
	}
}
