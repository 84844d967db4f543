package graph

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/testutil"
)

// TestComputeAtRef: Compute with Options.Ref gives the records of a
// fresh checkout of the ref when the work tree's stored package graph is
// the ref's (the files differ only in what go list does not read), and
// ErrNotShared when it may not be. Each step changes the work tree,
// committed or not, and compares with ref.
func TestComputeAtRef(t *testing.T) {
	ctx := context.Background()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) string {
		t.Helper()
		return strings.TrimSpace(testutil.Git(t, dir, args...)) // as gitexec gives it
	}
	testutil.WriteFiles(t, dir, testutil.MiniRepo())
	git("init", "--quiet", "--initial-branch=main")
	git("add", "--all")
	git("commit", "--quiet", "-m", "initial")
	const libGo = "package lib\n\n// Name is a name.\nfunc Name() string { return \"lib\" }\n"
	for _, step := range []struct {
		name   string
		files  map[string]string // written (or removed with what is under it, when "") in the work tree
		keep   bool              // left uncommitted, and undone after the step
		git    []string          // a git command run after the files are written
		ref    string
		shared bool // whether the stored graph is the ref's
	}{
		{"comment", map[string]string{"lib/lib.go": "package lib\n\n// Name is a name, commented.\nfunc Name() string { return \"lib\" }\n"}, false, nil, "HEAD~1", true},
		{"body", map[string]string{"lib/lib.go": "package lib\n\n// Name is a name.\nfunc Name() string { return \"lib, edited\" }\n"}, false, nil, "HEAD~1", true},
		{"body, not committed", map[string]string{"lib/lib.go": libGo}, true, nil, "HEAD", true},
		{"two commits back", map[string]string{"README.md": "# mini, again\n"}, false, nil, "HEAD~2", true},
		{"import", map[string]string{"cmd/api/main.go": "package main\n\nimport (\n\t\"strings\"\n\n\t\"example.com/mini/lib\"\n)\n\nfunc main() { println(strings.ToUpper(lib.Name())) }\n"}, false, nil, "HEAD~1", false},
		{"build constraint", map[string]string{"lib/lib_extra.go": "//go:build extra || never\n\npackage lib\n\nimport _ \"strings\"\n"}, false, nil, "HEAD~1", false},
		{"new source", map[string]string{"lib/more.go": "package lib\n\nfunc More() {}\n"}, false, nil, "HEAD~1", false},
		{"source not committed", map[string]string{"lib/other.go": "package lib\n\nfunc Other() {}\n"}, true, nil, "HEAD", false},
		{"deleted source", map[string]string{"lib/more.go": ""}, false, nil, "HEAD~1", false},
		{"test file and files outside packages", map[string]string{"lib/lib_test.go": "package lib\n", "docs/notes.md": "notes\n", "README.md": ""}, false, nil, "HEAD~1", true},
		{"go directive", map[string]string{"go.mod": "module example.com/mini\n\ngo 1.25.0\n"}, false, nil, "HEAD~1", false},
		{"embedded content", map[string]string{"cmd/web/static/index.html": "<p>hello</p>\n"}, false, nil, "HEAD~1", true},
		{"new embedded file", map[string]string{"cmd/web/static/new.css": "p{}\n"}, false, nil, "HEAD~1", false},
		{"embed line", map[string]string{"cmd/web/main.go": "package main\n\nimport (\n\t\"embed\"\n\n\t\"example.com/mini/lib\"\n)\n\n//go:embed static/*.html\nvar static embed.FS\n\nfunc main() { println(lib.Name()); _ = static }\n"}, false, nil, "HEAD~1", false},
		{"data files", map[string]string{"cmd/web/kodata/data.txt": "data, edited\n", "cmd/web/kodata/sub/more.txt": "more\n"}, false, nil, "HEAD~1", true},
		{"data file not committed", map[string]string{"cmd/web/kodata/data.txt": ""}, true, nil, "HEAD", true},
		{"default data directory", map[string]string{"cmd/api/kodata/a.txt": "a\n"}, false, nil, "HEAD~1", false},
		{"default data directory removed", map[string]string{"cmd/api/kodata": ""}, false, nil, "HEAD~1", false},
		{"go.work added", map[string]string{"go.work": "go 1.26.0\n\nuse .\n"}, false, nil, "HEAD~1", false},
		{"go.work removed", map[string]string{"go.work": ""}, false, nil, "HEAD~1", false},
		{"assumed unchanged", map[string]string{"lib/lib.go": "package lib\n\nfunc Name() string { return \"assumed\" }\n"}, true, []string{"update-index", "--assume-unchanged", "lib/lib.go"}, "HEAD", false},
		{"attributes changed", map[string]string{".gitattributes": "*.html text eol=crlf\n"}, false, nil, "HEAD~1", false},
		{"content a checkout converts", map[string]string{"cmd/web/static/index.html": "<p>hello, again</p>\n"}, false, nil, "HEAD~1", false},
		{"attributes changed again", map[string]string{".gitattributes": "*.html text=auto\n"}, false, nil, "HEAD~1", false},
		{"content a checkout writes as it is", map[string]string{"cmd/web/static/index.html": "<p>hello, once more</p>\n"}, false, nil, "HEAD~1", true},
	} {
		testutil.WriteFiles(t, dir, step.files)
		if step.git != nil {
			git(step.git...)
		}
		if !step.keep {
			git("add", "--all")
			git("commit", "--quiet", "-m", step.name)
		}
		cfg, err := config.Load(filepath.Join(dir, config.FileName))
		if err != nil {
			t.Fatal(err)
		}
		cache := filepath.Join(dir, ".gobake", "cache")
		opts := Options{Targets: amd64Targets(t, cfg), GraphCache: filepath.Join(cache, "graph"), DigestCache: filepath.Join(cache, "digests.v1"), racy: time.Nanosecond}
		if _, err := Compute(ctx, cfg, opts); err != nil { // stores the work tree's graph
			t.Fatal(err)
		}
		r, err := ResolveRef(ctx, dir, step.ref)
		if err != nil {
			t.Fatal(err)
		}
		opts.Ref = func(ctx context.Context) (*RefFiles, error) { return ReadRefFiles(ctx, r) }
		got, err := Compute(ctx, cfg, opts)
		switch {
		case step.shared && err != nil:
			t.Errorf("%s: %v", step.name, err)
		case !step.shared && err == nil:
			t.Errorf("%s: the work tree's graph was taken for %s's", step.name, step.ref)
		case !step.shared && !errors.Is(err, ErrNotShared):
			t.Errorf("%s: %v, want ErrNotShared", step.name, err)
		case step.shared:
			want := checkoutRecords(t, dir, r.Commit)
			if diff := cmp.Diff(want, got.Records); diff != "" {
				t.Errorf("%s: records at %s (-checkout +shared graph):\n%s", step.name, step.ref, diff)
			}
		}
		if step.keep {
			git("update-index", "--no-assume-unchanged", "lib/lib.go")
			git("reset", "--quiet", "--hard")
			git("clean", "--quiet", "-d", "--force")
		}
	}
}

// checkoutRecords computes the records at commit from a fresh worktree,
// without caches.
func checkoutRecords(t *testing.T, repo, commit string) map[string]*Record {
	t.Helper()
	ctx := context.Background()
	wt := filepath.Join(t.TempDir(), "wt")
	testutil.Git(t, repo, "worktree", "add", "--detach", "--quiet", wt, commit)
	defer testutil.Git(t, repo, "worktree", "remove", "--force", wt)
	cfg, err := config.Load(filepath.Join(wt, config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Compute(ctx, cfg, Options{Targets: amd64Targets(t, cfg)})
	if err != nil {
		t.Fatal(err)
	}
	return s.Records
}
