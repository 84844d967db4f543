package release_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/gobake/gobake/internal/graph/state"
	"github.com/gobake/gobake/internal/release"
)

// TestSameOutputSkipped: an image whose inputs changed but whose build is
// the image of its last release (its ldflags written as two items instead
// of one; its binary does not hold the version) is skipped, saying why: no version, no git tag, no image
// tag, no GitOps change. A real change after it is released as the next
// patch. Before, the ldflags edit shipped 0.1.1 and bumped the deployment.
func TestSameOutputSkipped(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.clone(t)
	yaml := c.Git("show", "HEAD:gobake.yaml")
	noVersion := strings.Replace(yaml, "  ldflags: [\"-s -w -X main.version={{.Version}}\"]\n", "  ldflags: [\"-s -w\"]\n", 1)
	if noVersion == yaml {
		t.Fatal("gobake.yaml of the world has no version ldflags to remove")
	}
	c.Commit("chore: binaries without the version", map[string]string{"gobake.yaml": noVersion})
	if _, err, log := w.run(t, c.Dir, release.Options{}); err != nil {
		t.Fatalf("first release: %v\n%s", err, log)
	}
	api010 := w.tag(t, "api", "0.1.0")
	tags := remoteTags(t, w.origin)
	deployed := gitShow(t, w.deploy, "main:deployment.yaml")

	inputsAt := func() string { // the newest inputs record of api:0.1.0
		t.Helper()
		ref, err := name.ParseReference(w.host + "/acme/api:0.1.0")
		if err != nil {
			t.Fatal(err)
		}
		prev, err := state.FromRegistry(context.Background(), map[string]name.Reference{"api": ref})
		if err != nil {
			t.Fatal(err)
		}
		return prev["api"].Digest
	}
	recorded := inputsAt()
	// The ldflags as written are an input; go build gets the same flags.
	c.Commit("chore: ldflags one per item", map[string]string{"gobake.yaml": strings.Replace(noVersion, `["-s -w"]`, `["-s", "-w"]`, 1)})
	for _, dry := range []bool{true, false} {
		rep, err, log := w.run(t, c.Dir, release.Options{DryRun: dry})
		if err != nil {
			t.Fatalf("release (dry run %v) of a comment edit: %v\n%s", dry, err, log)
		}
		if len(rep.Images) != 0 || rep.Released {
			t.Errorf("dry run %v: released %v (released %v), want nothing:\n%s", dry, versions(rep), rep.Released, log)
		}
		want := "built output equals its last release api/v0.1.0 (" + api010 + ")"
		var got release.Skipped
		for _, s := range rep.Skipped {
			if s.Image == "api" {
				got = s
			}
		}
		wantSkip := release.Skipped{Image: "api", Reason: want, SameOutput: true, Reference: w.host + "/acme/api@" + api010}
		if diff := cmp.Diff(wantSkip, got); diff != "" {
			t.Errorf("dry run %v: api skipped (-want +got):\n%s\n%s", dry, diff, log)
		}
		if !strings.Contains(log, "api: nothing to release ("+want+")") {
			t.Errorf("dry run %v: log does not say why api is skipped:\n%s", dry, log)
		}
		// Outside a dry run, the build's inputs become the image's newest
		// record, so that plan then says unchanged.
		if got := inputsAt(); (got != recorded) != !dry {
			t.Errorf("dry run %v: inputs record of api:0.1.0 %s, was %s", dry, got, recorded)
		}
	}
	if diff := cmp.Diff(tags, remoteTags(t, w.origin)); diff != "" {
		t.Errorf("git tags of the source remote changed (-before +after):\n%s", diff)
	}
	if got := w.tag(t, "api", "0.1.1"); got != "" {
		t.Errorf("api:0.1.1 = %s, want no such tag", got)
	}
	if got := gitShow(t, w.deploy, "main:deployment.yaml"); got != deployed {
		t.Errorf("deployment changed:\n%s", got)
	}

	c.Commit("fix(api): politer", editAPI("hi"))
	rep, err, log := w.run(t, c.Dir, release.Options{})
	if err != nil {
		t.Fatalf("release of a real change: %v\n%s", err, log)
	}
	if diff := cmp.Diff(map[string]string{"api": "0.1.1"}, versions(rep)); diff != "" {
		t.Errorf("versions (-want +got):\n%s\n%s", diff, log)
	}
	w.check(t)
}
