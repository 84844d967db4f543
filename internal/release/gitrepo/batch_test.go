package gitrepo_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/release/gitrepo"
	"github.com/gobake/gobake/internal/release/gitrepo/gittest"
)

// TestBatchedReads: the messages of many tags, read by one git process,
// are each tag's own; a claim of many tags (one tag object per process no
// more) creates them all locally with their messages; the log of a range
// of full hashes, read once, is the same when asked again.
func TestBatchedReads(t *testing.T) {
	ctx := context.Background()
	origin := gittest.NewBare(t)
	a := gittest.Clone(t, origin)
	c := a.Commit("one", map[string]string{"a": "1"})
	a.Git("push", "--quiet", "origin", "main")
	a.Tag("light/v1", "HEAD")
	r := open(t, a.Dir)
	var tags []gitrepo.NewTag
	want := map[string]string{"light/v1": "", "none/v1": ""}
	for _, n := range []string{"a/v0.1.0", "b/v0.1.0", "c/v0.1.0"} {
		msg := n + "\n\nr/" + n + "@sha256:aa\nwith\nlines\n"
		tags = append(tags, gitrepo.NewTag{Name: n, Commit: c, Message: msg})
		want[n] = msg
	}
	if err := r.Claim(ctx, "origin", tags); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name string }{{"a/v0.1.0"}, {"b/v0.1.0"}, {"c/v0.1.0"}, {"light/v1"}, {"none/v1"}}
	for _, tc := range tests {
		got, err := open(t, a.Dir).TagMessage(ctx, tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want[tc.name], got); diff != "" {
			t.Errorf("TagMessage(%s) (-want +got):\n%s", tc.name, diff)
		}
	}
	if got := a.Git("cat-file", "-t", "refs/tags/b/v0.1.0"); got != "tag\n" && got != "tag" {
		t.Errorf("b/v0.1.0 is a %q, want an annotated tag", got)
	}
	first, err := r.Log(ctx, "", c)
	if err != nil {
		t.Fatal(err)
	}
	again, err := r.Log(ctx, "", c)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, again); diff != "" || len(first) != 1 {
		t.Errorf("Log again (-first +again):\n%s (%d commits)", diff, len(first))
	}
}
