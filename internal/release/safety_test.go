package release_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/release"
)

// TestShallowClones: a release from a shallow clone, tagless or with tags
// but shallow history, recognises the releases on the source remote: it
// neither calls a released image's next version a first release nor
// moves a version tag.
func TestShallowClones(t *testing.T) {
	w := newWorld(t)
	full := w.clone(t)
	rep, err, log := w.run(t, full.Dir, release.Options{})
	if err != nil {
		t.Fatalf("first release: %v\n%s", err, log)
	}
	first := map[string]string{"api": "0.1.0", "web": "0.1.0"}
	if diff := cmp.Diff(first, versions(rep)); diff != "" {
		t.Fatalf("first release (-want +got):\n%s", diff)
	}
	api010 := w.tag(t, "api", "0.1.0")
	// A commit after the release, so that a shallow clone of main holds no
	// tag.
	full.Commit("docs: readme", map[string]string{"README.md": "hi\n"})
	full.Git("push", "--quiet", "origin", "main")

	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) string
	}{
		{"depth 1, no tags", func(t *testing.T) string { return w.clone(t, "--depth", "1").Dir }},
		{"tags, shallow history", func(t *testing.T) string {
			c := w.clone(t, "--depth", "1")
			c.Git("fetch", "--quiet", "--depth", "1", "origin", "refs/tags/*:refs/tags/*")
			return c.Dir
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.setup(t)
			rep, err, log := w.run(t, dir, release.Options{})
			if err != nil {
				t.Fatalf("release: %v\n%s", err, log)
			}
			if len(rep.Images) != 0 || strings.Contains(log, "first release") {
				t.Errorf("released %v from a clone of a released commit:\n%s", versions(rep), log)
			}
			if got := w.tag(t, "api", "0.1.0"); got != api010 {
				t.Errorf("api:0.1.0 moved from %s to %s", api010, got)
			}
		})
	}

	t.Run("next release from a shallow clone", func(t *testing.T) {
		c := w.clone(t, "--depth", "1")
		c.Commit("fix(api): politer", map[string]string{"api/main.go": "package main\n\nvar version = \"dev\"\n\nfunc main() { println(\"hi\", version) }\n"})
		rep, err, log := w.run(t, c.Dir, release.Options{})
		if err != nil {
			t.Fatalf("release: %v\n%s", err, log)
		}
		if diff := cmp.Diff(map[string]string{"api": "0.1.1"}, versions(rep)); diff != "" {
			t.Errorf("versions (-want +got):\n%s\n%s", diff, log)
		}
		if got := w.tag(t, "api", "0.1.0"); got != api010 {
			t.Errorf("api:0.1.0 moved from %s to %s", api010, got)
		}
	})
}
