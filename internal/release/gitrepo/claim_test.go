package gitrepo_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/gitexec"
	"github.com/gobake/gobake/internal/release/gitrepo"
	"github.com/gobake/gobake/internal/release/gitrepo/gittest"
)

// TestClaim: of two clones claiming one tag, one wins; the loser gets
// ErrTaken and neither its local tags nor the remote's change.
func TestClaim(t *testing.T) {
	ctx := context.Background()
	origin := gittest.NewBare(t)
	seed := gittest.Clone(t, origin)
	seed.Commit("one", map[string]string{"a": "1"})
	seed.Git("push", "--quiet", "origin", "main")
	a, b := gittest.Clone(t, origin), gittest.Clone(t, origin)
	ca := a.Commit("a", map[string]string{"a": "a"})
	cb := b.Commit("b", map[string]string{"a": "b"})
	b.Tag("mine/v1", "HEAD") // a local tag of b's, which its lost claim must keep

	if err := open(t, a.Dir).Claim(ctx, "origin", []gitrepo.NewTag{
		{Name: "api/v0.1.0", Commit: ca, Message: "api 0.1.0\n\nr/api@sha256:aa\n"},
		{Name: "web/v0.1.0", Commit: ca, Message: "web 0.1.0\n"},
	}); err != nil {
		t.Fatal(err)
	}
	err := open(t, b.Dir).Claim(ctx, "origin", []gitrepo.NewTag{
		{Name: "api/v0.1.0", Commit: cb, Message: "api 0.1.0\n"},
		{Name: "ctl/v0.1.0", Commit: cb, Message: "ctl 0.1.0\n"},
	})
	if !errors.Is(err, gitrepo.ErrTaken) || !strings.Contains(err.Error(), "api/v0.1.0") {
		t.Fatalf("second claim: %v, want ErrTaken naming api/v0.1.0", err)
	}
	tags := func(dir string) []gitrepo.Tag {
		if dir == origin { // bare: no work tree to open
			out, err := gitexec.Runner{Dir: dir}.Run(ctx, "for-each-ref", "--format=%(refname:strip=2) %(*objectname)", "refs/tags/")
			if err != nil {
				t.Fatal(err)
			}
			var got []gitrepo.Tag
			for _, line := range strings.Split(out, "\n") {
				n, c, _ := strings.Cut(line, " ")
				got = append(got, gitrepo.Tag{Name: n, Commit: c})
			}
			return got
		}
		got, err := open(t, dir).Tags(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := []gitrepo.Tag{{"api/v0.1.0", ca}, {"web/v0.1.0", ca}}
	for _, tc := range []struct {
		name, dir string
		want      []gitrepo.Tag
	}{
		{"origin (atomic: no ctl)", origin, want},
		{"winner", a.Dir, want},
		{"loser", b.Dir, []gitrepo.Tag{{"mine/v1", cb}}},
	} {
		if diff := cmp.Diff(tc.want, tags(tc.dir)); diff != "" {
			t.Errorf("%s tags (-want +got):\n%s", tc.name, diff)
		}
	}
	msg, err := open(t, a.Dir).TagMessage(ctx, "api/v0.1.0")
	if err != nil || !strings.Contains(msg, "r/api@sha256:aa") {
		t.Errorf("TagMessage = %q, %v", msg, err)
	}

	// The loser fetches the winner's tags; its own stay.
	if err := open(t, b.Dir).FetchTags(ctx, "origin"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]gitrepo.Tag{want[0], {"mine/v1", cb}, want[1]}, tags(b.Dir)); diff != "" {
		t.Errorf("loser after FetchTags (-want +got):\n%s", diff)
	}

	t.Run("without a remote", func(t *testing.T) {
		r := open(t, b.Dir)
		if err := r.Claim(ctx, "", []gitrepo.NewTag{{Name: "x/v1", Commit: cb, Message: "x\n"}}); err != nil {
			t.Fatal(err)
		}
		err := r.Claim(ctx, "", []gitrepo.NewTag{{Name: "y/v1", Commit: cb, Message: "y\n"}, {Name: "x/v1", Commit: cb, Message: "x\n"}})
		if !errors.Is(err, gitrepo.ErrTaken) {
			t.Fatalf("claiming an existing local tag: %v, want ErrTaken", err)
		}
		if _, err := r.RevParse(ctx, "refs/tags/y/v1"); err == nil {
			t.Error("a failed local claim created y/v1")
		}
	})
}

// TestFetchTagsUnshallows: FetchTags gives a depth-1 clone the whole
// history and every tag, so that older tags are reachable from HEAD.
func TestFetchTagsUnshallows(t *testing.T) {
	ctx := context.Background()
	origin := gittest.NewBare(t)
	seed := gittest.Clone(t, origin)
	c1 := seed.Commit("one", map[string]string{"a": "1"})
	seed.Tag("api/v0.1.0", c1)
	seed.Commit("two", map[string]string{"a": "2"})
	seed.Git("push", "--quiet", "--tags", "origin", "main")

	c := gittest.Clone(t, "file://"+origin, "--depth", "1")
	r := open(t, c.Dir)
	if shallow, err := r.IsShallow(ctx); err != nil || !shallow {
		t.Fatalf("IsShallow = %v, %v; want a shallow clone", shallow, err)
	}
	if err := r.FetchTags(ctx, "origin"); err != nil {
		t.Fatal(err)
	}
	if shallow, err := r.IsShallow(ctx); err != nil || shallow {
		t.Errorf("IsShallow after FetchTags = %v, %v", shallow, err)
	}
	got, err := r.Tags(ctx, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]gitrepo.Tag{{"api/v0.1.0", c1}}, got); diff != "" {
		t.Errorf("tags merged into HEAD (-want +got):\n%s", diff)
	}
	contains, err := r.TagsContaining(ctx, c1)
	if err != nil || len(contains) != 1 {
		t.Errorf("TagsContaining(%s) = %v, %v", c1, contains, err)
	}

	// A local tag that differs from the remote's is an error, not overwritten.
	c.Git("tag", "--delete", "api/v0.1.0")
	c.Tag("api/v0.1.0", "HEAD")
	if err := r.FetchTags(ctx, "origin"); err == nil {
		t.Error("FetchTags overwrote a local tag that differs from the remote's")
	}
}
