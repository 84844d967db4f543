package planner

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/gitexec"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/graph/synth"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/testutil"
)

// gitRepo makes dir a git repository with a fixed identity.
func gitRepo(t *testing.T, dir string) func(args ...string) string {
	t.Helper()
	g := gitexec.Runner{Dir: dir, Env: []string{
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
	}}
	run := func(args ...string) string {
		t.Helper()
		out, err := g.Run(context.Background(), args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	run("init", "--quiet", "--initial-branch=main")
	return run
}

// TestSinceWithoutConfig: at a ref without gobake.yaml, the current
// configuration is applied to the ref's files, and a note says so. When
// the current configuration changes, the ref's records follow it (the
// records kept for the ref's files are those of the configuration
// applied).
func TestSinceWithoutConfig(t *testing.T) {
	ctx := context.Background()
	t.Setenv("GOBAKE_CACHE", t.TempDir())
	cfg := writeRepo(t, "[linux/amd64]", "[latest]")
	git := gitRepo(t, cfg.Root)
	git("add", "go.mod", "cmd")
	git("commit", "--quiet", "-m", "code")
	git("add", "gobake.yaml")
	git("commit", "--quiet", "-m", "config")
	for i, edit := range []string{"", "", "    ldflags: [-s]\n"} {
		if edit != "" {
			testutil.WriteFiles(t, cfg.Root, map[string]string{"gobake.yaml": readFile(t, cfg.Path) + edit})
			var err error
			if cfg, err = config.Load(cfg.Path, config.WithGetenv(func(string) string { return "" })); err != nil {
				t.Fatal(err)
			}
		}
		cur, err := New(ctx, cfg, layering.NewBases(ctx, cfg.Root), Options{})
		if err != nil {
			t.Fatal(err)
		}
		var notes bytes.Buffer
		recs, err := Since(ctx, cfg, "HEAD~1", Options{Notes: &notes})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]graph.Status{}
		for _, p := range graph.Plan(cur.Snapshot, recs) {
			got[p.Image] = p.Status
		}
		if diff := cmp.Diff(map[string]graph.Status{"hello": graph.StatusUnchanged}, got); diff != "" {
			t.Errorf("plan %d since a ref without gobake.yaml (-want +got):\n%s", i, diff)
		}
		if want := "HEAD~1 has no gobake.yaml: comparing with the current configuration"; !strings.Contains(notes.String(), want) {
			t.Errorf("notes %q lack %q", notes.String(), want)
		}
		// The configuration written for the comparison is not left in the tree.
		if _, err := os.Stat(filepath.Join(sinceDir(cfg.Root), "tree", "gobake.yaml")); !os.IsNotExist(err) {
			t.Errorf("gobake.yaml left in the ref's tree: %v", err)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSinceMatchesWorktree compares Since, which keeps the files of the
// refs it compares with and writes only what differs, with the records
// computed from a fresh `git worktree add` checkout of each ref (as Since
// used to), over a history of realistic changes, visiting the refs out of
// order. The ref is one branch moved from commit to commit, and some
// commits are compared with twice in a row (the kept tree and its records
// are reused then: a tree or records kept by ref name, not by commit,
// fail); the last comparisons change GOFLAGS, which the kept records of
// the same commit must not outlive.
func TestSinceMatchesWorktree(t *testing.T) {
	t.Setenv("GOBAKE_CACHE", t.TempDir())
	for _, tt := range []struct {
		name    string
		initial func(t *testing.T, dir string)
		commits []map[string]string
	}{
		{
			name:    "small monorepo",
			initial: func(t *testing.T, dir string) { testutil.WriteFiles(t, dir, testutil.MiniRepo()) },
			commits: miniHistory,
		},
		{
			name: "synthetic",
			initial: func(t *testing.T, dir string) {
				if _, err := synth.Generate(dir, synth.Spec{Mains: 4, Core: 6, PerDomain: 3, Seed: 1}); err != nil {
					t.Fatal(err)
				}
			},
			commits: []map[string]string{
				{"core/c0002/c0002.go": "package c0002\n\n// Value is changed.\nfunc Value() string { return \"changed\" }\n"},
				{"svc/s001/p00/extra.go": "package p00\n\nimport _ \"example.com/synth/core/c0005\"\n"},
				{"svc/s002/p01/p01.go": ""},
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir, err := filepath.EvalSymlinks(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			tt.initial(t, dir)
			git := gitRepo(t, dir)
			var commits []string
			commit := func(msg string) {
				git("add", "--all")
				git("commit", "--quiet", "--allow-empty", "-m", msg)
				commits = append(commits, git("rev-parse", "HEAD"))
			}
			commit("initial")
			for i, files := range tt.commits {
				testutil.WriteFiles(t, dir, files)
				commit("change " + string(rune('a'+i)))
			}
			cfg, err := config.Load(filepath.Join(dir, config.FileName))
			if err != nil {
				t.Fatal(err)
			}
			last := len(commits) - 1
			for _, step := range []struct {
				commit  int
				goflags string
			}{
				{last - 1, ""}, {last - 1, ""}, {0, ""}, {last, ""}, {1, ""}, {1, ""}, {0, ""},
				{0, "-tags=extra"}, {0, "-tags=extra"}, {0, ""},
			} {
				t.Setenv("GOFLAGS", step.goflags)
				git("branch", "--force", "ref", commits[step.commit])
				got, err := Since(ctx, cfg, "ref", Options{})
				if err != nil {
					t.Fatal(err)
				}
				want := worktreeRecords(t, dir, commits[step.commit])
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("records at commit %d, GOFLAGS=%q (-worktree +since):\n%s", step.commit, step.goflags, diff)
				}
			}
		})
	}
}

// worktreeRecords computes the records at commit from a fresh worktree,
// without caches.
func worktreeRecords(t *testing.T, repo, commit string) map[string]*graph.Record {
	t.Helper()
	ctx := context.Background()
	wt := filepath.Join(t.TempDir(), "wt")
	g := gitexec.Runner{Dir: repo}
	if _, err := g.Run(ctx, "worktree", "add", "--detach", "--quiet", wt, commit); err != nil {
		t.Fatal(err)
	}
	defer g.Run(ctx, "worktree", "remove", "--force", wt)
	cfg, err := config.Load(filepath.Join(wt, config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan(ctx, cfg, layering.NewBases(ctx, cfg.Root), Options{}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	return p.Snapshot.Records
}

var miniHistory = []map[string]string{
	{"lib/lib.go": "package lib\n\n// Name is another name.\nfunc Name() string { return \"lib2\" }\n"},
	{"cmd/web/static/new.css": "p{}\n", "cmd/web/kodata/more.txt": "more\n"},
	{"lib/extra/extra.go": "package extra\n\nfunc X() {}\n", "cmd/api/main.go": "package main\n\nimport (\n\t\"example.com/mini/lib\"\n\t_ \"example.com/mini/lib/extra\"\n)\n\nfunc main() { println(lib.Name()) }\n"},
	{"lib/lib_windows.go": "", "cmd/web/kodata/data.txt": "", "README.md": "# mini, edited\n"},
	{"gobake.yaml": "version: 1\ndefaults:\n  base: scratch\n  platforms: [linux/amd64]\nimages:\n  api:\n    main: ./cmd/api\n    ldflags: [-s]\n"},
}

// TestSinceSharedGraph: Since computes a ref's records with the working
// tree's package graph, without a checkout, when the graph and gobake.yaml
// are the ref's (graph.TestComputeAtRef tries every kind of change), from
// a checkout when gobake.yaml differs, and from the records kept for the
// commit the kept tree holds. The records are those of a fresh `git
// worktree add` of the ref every time, the working tree's plan running
// beside with the same file hashes (Options.Hashes) as plan's.
func TestSinceSharedGraph(t *testing.T) {
	t.Setenv("GOBAKE_CACHE", t.TempDir())
	ctx := context.Background()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mini := testutil.MiniRepo()
	testutil.WriteFiles(t, dir, mini)
	git := gitRepo(t, dir)
	for _, files := range []map[string]string{
		nil,
		{"gobake.yaml": mini["gobake.yaml"] + "    ldflags: [-s]\n"},
		{"lib/lib.go": "package lib\n\n// Name is a name.\nfunc Name() string { return \"lib, edited\" }\n"},
	} {
		testutil.WriteFiles(t, dir, files)
		git("add", "--all")
		git("commit", "--quiet", "-m", "step")
	}
	// A package graph is stored only when its files are older than the
	// racy window (graph.racyWindow): the graph Since shares is the one
	// the plan of the working tree stores.
	time.Sleep(2100 * time.Millisecond)
	cfg, err := config.Load(filepath.Join(dir, config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(ctx, cfg, layering.NewBases(ctx, cfg.Root), Options{}); err != nil {
		t.Fatal(err)
	}
	for i, step := range []struct {
		ref, want string
		files     map[string]string // written in the working tree first
	}{
		{"HEAD~1", sinceShared, nil},
		{"HEAD~2", sinceChecked, nil}, // gobake.yaml differs
		{"HEAD~2", sinceChecked, nil}, // again: the records kept for the commit
		{"HEAD~1", sinceShared, nil},  // asked for twice in a row: kept
		// The working tree's graph is not HEAD~1's any more, but the
		// records kept are HEAD~1's.
		{"HEAD~1", sinceShared, map[string]string{"cmd/api/main.go": "package main\n\nimport (\n\t\"strings\"\n\n\t\"example.com/mini/lib\"\n)\n\nfunc main() { println(strings.ToUpper(lib.Name())) }\n"}},
	} {
		kept := step.ref == "HEAD~1" && i >= 3
		testutil.WriteFiles(t, dir, step.files)
		// As plan does: the working tree's plan at once, sharing the
		// hashes of its files (whose content at ref may differ).
		hashes := NewHashes(cfg)
		done := make(chan error)
		go func() {
			_, err := New(ctx, cfg, layering.NewBases(ctx, cfg.Root), Options{Hashes: hashes})
			done <- err
		}()
		got, how, err := since(ctx, cfg, step.ref, Options{Hashes: hashes})
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, ".gobake", "cache", "graph", "tree.records")); (err == nil) != kept {
			t.Errorf("records at %s (step %d) computed with the shared graph kept: %v, want %v", step.ref, i, err == nil, kept)
		}
		if how != step.want {
			t.Errorf("records at %s computed by %s, want %s", step.ref, how, step.want)
		}
		want := worktreeRecords(t, dir, git("rev-parse", step.ref))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("records at %s (-worktree +since):\n%s", step.ref, diff)
		}
	}
}

// TestSinceCheckoutPrunesOtherTrees checks that a --since that checks out
// its ref prunes the trees other work trees left in the cache: those
// unused for longer than sinceMaxAge, and those beyond the sinceKeep last
// used (its own is the last used).
func TestSinceCheckoutPrunesOtherTrees(t *testing.T) {
	ctx := context.Background()
	cache := t.TempDir()
	t.Setenv("GOBAKE_CACHE", cache)
	cfg := writeRepo(t, "[linux/amd64]", "[latest]")
	git := gitRepo(t, cfg.Root)
	git("add", "go.mod", "cmd")
	git("commit", "--quiet", "-m", "code")
	git("add", "gobake.yaml")
	git("commit", "--quiet", "-m", "config") // HEAD~1 has no gobake.yaml: a checkout
	now := time.Now()
	others := map[string]time.Duration{ // another work tree's tree → since its last use
		"recent1": time.Minute, "recent2": time.Hour, "recent3": 2 * time.Hour,
		"older": 3 * time.Hour, "expired": sinceMaxAge + time.Hour,
	}
	for name, ago := range others {
		dir := filepath.Join(cache, graph.RefTreesName, name)
		testutil.WriteFiles(t, dir, map[string]string{"lock": "l", "commit": "c\n", "tree/a.go": "package a\n"})
		if err := os.Chtimes(filepath.Join(dir, "lock"), now.Add(-ago), now.Add(-ago)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Since(ctx, cfg, "HEAD~1", Options{}); err != nil {
		t.Fatal(err)
	}
	es, err := os.ReadDir(filepath.Join(cache, graph.RefTreesName))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Name())
	}
	want := []string{filepath.Base(sinceDir(cfg.Root)), "recent1", "recent2", "recent3"}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("trees after --since: %v, want %v", got, want)
	}
}
