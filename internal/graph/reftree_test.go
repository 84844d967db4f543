package graph

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gobake/gobake/internal/testutil"
)

// TestRefTree checks the files RefTree keeps for a ref: a branch moved to
// another commit gets that commit's files, the same commit again is not
// checked out again (its files are the very same), and a tree its user
// changed (release(false), as a run killed while using it) is checked out
// afresh.
func TestRefTree(t *testing.T) {
	ctx := context.Background()
	repo, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) string {
		t.Helper()
		return strings.TrimSpace(testutil.Git(t, repo, args...)) // as gitexec gives it
	}
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(repo, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "--quiet", "--initial-branch=main")
	write("sub/a.txt", "one\n")
	git("add", "--all")
	git("commit", "--quiet", "-m", "one")
	first := git("rev-parse", "HEAD")
	write("sub/a.txt", "two\n")
	git("commit", "--quiet", "--all", "-m", "two")
	second := git("rev-parse", "HEAD")

	cache := t.TempDir()
	// refTree checks out ref from repo/sub, checks the commit and a.txt,
	// runs use on the tree and releases it as use says.
	refTree := func(ref, wantCommit, wantA string, use func(dir string) bool) {
		t.Helper()
		r, err := ResolveRef(ctx, filepath.Join(repo, "sub"), ref)
		if err != nil {
			t.Fatal(err)
		}
		commit := r.Commit
		dir, release, err := RefTree(ctx, r, cache)
		if err != nil {
			t.Fatal(err)
		}
		pristine := true
		defer func() {
			if err := release(pristine); err != nil {
				t.Fatal(err)
			}
		}()
		if commit != wantCommit {
			t.Errorf("RefTree(%s) commit = %s, want %s", ref, commit, wantCommit)
		}
		b, err := os.ReadFile(filepath.Join(dir, "a.txt"))
		if err != nil || string(b) != wantA {
			t.Errorf("RefTree(%s): a.txt = %q, %v; want %q", ref, b, err, wantA)
		}
		if use != nil {
			pristine = use(dir)
		}
	}
	git("branch", "ref", first)
	refTree("ref", first, "one\n", nil)
	git("branch", "--force", "ref", second)
	refTree("ref", second, "two\n", nil)
	git("branch", "--force", "ref", first)
	refTree("ref", first, "one\n", nil)
	refTree("ref", first, "one\n", func(dir string) bool {
		// Changed and not undone (or killed while in use): the next run
		// checks out again.
		if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("changed\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return false
	})
	refTree("ref", first, "one\n", nil)
	refTree("ref", first, "one\n", nil)
}
