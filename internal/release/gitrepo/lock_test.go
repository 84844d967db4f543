package gitrepo_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gobake/gobake/internal/release/gitrepo"
	"github.com/gobake/gobake/internal/release/gitrepo/gittest"
)

// managed says which tags are gobake's in these tests: IMAGE/vX.Y.Z of
// api and web.
func managed(tag string) bool {
	return strings.HasPrefix(tag, "api/v") || strings.HasPrefix(tag, "web/v")
}

// TestLeftoversOfAKilledRun: git leaves refs/tags/NAME.lock (and
// shallow.lock) behind when it is killed while writing a ref, and then
// refuses to write that ref again: every later release in the clone
// failed with "cannot lock ref". Holding gobake's lock on the refs, a
// release removes the leftovers of gobake's own tags (a dead gobake's:
// a live one would hold the lock), and leaves every other lock file.
func TestLeftoversOfAKilledRun(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		shallow bool     // clone with --depth 1
		locks   []string // lock files left, relative to the git directory
		mark    string   // content of gobake.lock left by the killed run
		op      string   // fetch: FetchTags; claim: Claim of api/v0.2.0
		wantErr string   // "" for success
		kept    []string // lock files that must still be there
	}{
		{name: "fetch after a claim killed in update-ref", locks: []string{"refs/tags/api/v0.1.0.lock"}, op: "fetch"},
		{name: "fetch after a fetch killed", locks: []string{"refs/tags/api/v0.1.0.lock", "refs/tags/web/v0.1.0.lock"}, op: "fetch"},
		{name: "claim of the tag a killed claim was writing", locks: []string{"refs/tags/api/v0.2.0.lock"}, op: "claim"},
		{name: "another tag's lock is left alone", locks: []string{"refs/tags/api/v0.1.0.lock", "refs/tags/mine.lock"}, op: "fetch",
			kept: []string{"refs/tags/mine.lock"}},
		{name: "another tag's lock on a fetched tag still fails", locks: []string{"refs/tags/v9.lock"}, op: "fetch",
			wantErr: "v9", kept: []string{"refs/tags/v9.lock"}},
		{name: "unshallow killed", shallow: true, locks: []string{"shallow.lock", "refs/tags/api/v0.1.0.lock"}, mark: "unshallow\n", op: "fetch"},
		{name: "shallow.lock of another fetch is left alone", shallow: true, locks: []string{"shallow.lock"}, op: "fetch",
			wantErr: "fetch-depth", kept: []string{"shallow.lock"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			origin := gittest.NewBare(t)
			seed := gittest.Clone(t, origin)
			c1 := seed.Commit("one", map[string]string{"a": "1"})
			seed.Commit("two", map[string]string{"a": "2"})
			seed.Git("tag", "-a", "-m", "api 0.1.0", "api/v0.1.0", c1)
			seed.Git("tag", "-a", "-m", "web 0.1.0", "web/v0.1.0", c1)
			seed.Git("tag", "v9", c1)
			seed.Git("push", "--quiet", "origin", "main", "--tags")
			var c *gittest.Repo
			if tc.shallow {
				c = gittest.Clone(t, "file://"+origin, "--depth", "1", "--no-tags")
			} else {
				c = gittest.Clone(t, origin, "--no-tags")
			}
			gitDir := filepath.Join(c.Dir, ".git")
			for _, l := range tc.locks { // as git leaves them: the new value, or empty
				p := filepath.Join(gitDir, filepath.FromSlash(l))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(c1+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tc.mark != "" {
				if err := os.WriteFile(filepath.Join(gitDir, "gobake.lock"), []byte(tc.mark), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r, err := gitrepo.Open(ctx, c.Dir, gitrepo.WithManagedTags(managed))
			if err != nil {
				t.Fatal(err)
			}
			switch tc.op {
			case "fetch":
				err = r.FetchTags(ctx, "origin")
			case "claim":
				head := strings.TrimSpace(c.Git("rev-parse", "HEAD"))
				err = r.Claim(ctx, "origin", []gitrepo.NewTag{{Name: "api/v0.2.0", Commit: head, Message: "api 0.2.0\n"}})
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("%s after a killed run: %v", tc.op, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("%s: %v, want an error with %q", tc.op, err, tc.wantErr)
			}
			if tc.wantErr == "" {
				tags, err := r.Tags(ctx, "")
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, tag := range tags {
					names = append(names, tag.Name)
				}
				want := "api/v0.1.0 v9 web/v0.1.0"
				if tc.op == "claim" {
					want = "api/v0.2.0"
				}
				if got := strings.Join(names, " "); got != want {
					t.Errorf("local tags %q, want %q", got, want)
				}
			}
			for _, l := range tc.kept {
				if _, err := os.Stat(filepath.Join(gitDir, filepath.FromSlash(l))); err != nil {
					t.Errorf("%s of another git was removed: %v", l, err)
				}
			}
		})
	}
}

// TestRefLockHeld: while another process holds gobake's lock on the refs
// (a live release), the lock files of its tags are its own: a second
// release waits and leaves them.
func TestRefLockHeld(t *testing.T) {
	ctx := context.Background()
	origin := gittest.NewBare(t)
	c := gittest.Clone(t, origin)
	c.Commit("one", map[string]string{"a": "1"})
	lockPath := filepath.Join(c.Dir, ".git", "refs", "tags", "api", "v0.1.0.lock")
	if err := os.MkdirAll(filepath.Dir(lockPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lockPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	held, err := os.OpenFile(filepath.Join(c.Dir, ".git", "gobake.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := syscall.Flock(int(held.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	r, err := gitrepo.Open(ctx, c.Dir, gitrepo.WithManagedTags(managed))
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := r.FetchTags(short, "origin"); err == nil || !strings.Contains(err.Error(), "lock the refs") {
		t.Fatalf("FetchTags while another holds the lock: %v, want it to wait for the lock", err)
	}
	if _, err := os.Stat(lockPath); err != nil {
		t.Fatalf("a live release's lock file was removed: %v", err)
	}
	held.Close() // the live release ends (or dies): its leftovers are now stale
	if err := r.FetchTags(ctx, "origin"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(lockPath); err == nil {
		t.Errorf("%s left after the holder ended", lockPath)
	}
}
