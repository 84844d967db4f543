// Package gittest makes real git repositories in temporary directories for
// tests, with a fixed identity and dates so that runs are reproducible.
package gittest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gobake/gobake/internal/gitexec"
)

// Repo is a git repository in a temporary directory.
type Repo struct {
	Dir  string // absolute top of the work tree
	t    testing.TB
	tick int // seconds added to the fixed date, so that commits are ordered
}

// New makes an empty repository whose branch is main, with a committer
// identity of its own, so that git commands the code under test runs there
// work on machines without a global git identity. It fails t when git is
// not installed.
func New(t testing.TB) *Repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required by this test (apt-get install git)")
	}
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := &Repo{Dir: dir, t: t}
	r.Git("init", "--quiet", "--initial-branch=main")
	r.Git("config", "user.name", "t")
	r.Git("config", "user.email", "t@example.com")
	return r
}

// Git runs git in the repository and returns its trimmed output, failing
// the test on error.
func (r *Repo) Git(args ...string) string {
	r.t.Helper()
	r.tick++
	date := "@" + strconv.Itoa(1700000000+r.tick) + " +0000"
	cmd := gitexec.Runner{Dir: r.Dir, Env: []string{
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date,
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
	}}.Command(context.Background(), args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// Commit writes files (slash-separated paths relative to Dir; an empty
// content deletes the file), commits everything with msg and returns the
// commit's hash. A commit with no files is allowed.
func (r *Repo) Commit(msg string, files map[string]string) string {
	r.t.Helper()
	for name, content := range files {
		p := filepath.Join(r.Dir, filepath.FromSlash(name))
		if content == "" {
			if err := os.Remove(p); err != nil {
				r.t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	r.Git("add", "--all")
	r.Git("commit", "--quiet", "--allow-empty", "--no-verify", "--cleanup=strip", "-m", msg)
	return r.Git("rev-parse", "HEAD")
}

// Tag makes a lightweight tag name at rev.
func (r *Repo) Tag(name, rev string) {
	r.t.Helper()
	r.Git("tag", name, rev)
}

// Clone clones url (a path or file:// URL; extra git clone flags in args,
// e.g. --depth 1) into a temporary directory and returns it as a Repo with
// the same fixed identity as New.
func Clone(t testing.TB, url string, args ...string) *Repo {
	t.Helper()
	parent, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p := &Repo{Dir: parent, t: t}
	p.Git(append(append([]string{"clone", "--quiet"}, args...), url, "clone")...)
	r := &Repo{Dir: filepath.Join(parent, "clone"), t: t}
	r.Git("config", "user.name", "t")
	r.Git("config", "user.email", "t@example.com")
	return r
}

// NewBare makes an empty bare repository whose default branch is main, to
// serve as a remote, and returns its directory.
func NewBare(t testing.TB) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	(&Repo{Dir: dir, t: t}).Git("init", "--quiet", "--bare", "--initial-branch=main")
	return dir
}
