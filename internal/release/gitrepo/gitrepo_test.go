package gitrepo_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/gobake/gobake/internal/release/gitrepo"
	"github.com/gobake/gobake/internal/release/gitrepo/gittest"
)

func open(t *testing.T, dir string) *gitrepo.Repo {
	t.Helper()
	r, err := gitrepo.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLog(t *testing.T) {
	ctx := context.Background()
	g := gittest.New(t)
	c1 := g.Commit("feat(api): add token\n\nLonger body.\n\nBREAKING CHANGE: tokens expire", map[string]string{
		"svc/api/main.go": "package main\n", "lib/a.go": "package lib\n", "README.md": "hi\n",
	})
	c2 := g.Commit("refactor: move lib", map[string]string{"lib/a.go": "", "lib/b.go": "package lib\n"})
	c3 := g.Commit("chore: empty", nil)
	g.Git("checkout", "--quiet", "-b", "side", c2)
	c4 := g.Commit("fix: side", map[string]string{"svc/api/x.go": "package main\n"})
	g.Git("checkout", "--quiet", "main")
	g.Git("merge", "--quiet", "--no-ff", "-m", "Merge branch 'side'", "side")
	merge := g.Git("rev-parse", "HEAD")

	for _, tc := range []struct {
		name         string
		dir          string
		since, until string
		want         []gitrepo.Commit
	}{
		{"whole history", g.Dir, "", "", []gitrepo.Commit{
			{Hash: merge, Parents: []string{c3, c4}, Subject: "Merge branch 'side'"},
			{Hash: c4, Parents: []string{c2}, Subject: "fix: side", Files: []string{"svc/api/x.go"}},
			{Hash: c3, Parents: []string{c2}, Subject: "chore: empty"},
			{Hash: c2, Parents: []string{c1}, Subject: "refactor: move lib", Files: []string{"lib/a.go", "lib/b.go"}},
			{Hash: c1, Subject: "feat(api): add token", Body: "Longer body.\n\nBREAKING CHANGE: tokens expire",
				Files: []string{"README.md", "lib/a.go", "svc/api/main.go"}},
		}},
		{"range", g.Dir, c2, c3, []gitrepo.Commit{
			{Hash: c3, Parents: []string{c2}, Subject: "chore: empty"},
		}},
		{"subdirectory", filepath.Join(g.Dir, "svc"), c1, merge, []gitrepo.Commit{
			{Hash: merge, Parents: []string{c3, c4}, Subject: "Merge branch 'side'"},
			{Hash: c4, Parents: []string{c2}, Subject: "fix: side", Files: []string{"api/x.go"}},
			{Hash: c3, Parents: []string{c2}, Subject: "chore: empty"},
			{Hash: c2, Parents: []string{c1}, Subject: "refactor: move lib"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := open(t, tc.dir).Log(ctx, tc.since, tc.until)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Log (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTags(t *testing.T) {
	ctx := context.Background()
	g := gittest.New(t)
	c1 := g.Commit("one", map[string]string{"a": "1"})
	c2 := g.Commit("two", map[string]string{"a": "2"})
	g.Git("checkout", "--quiet", "-b", "side", c1)
	c3 := g.Commit("three", map[string]string{"b": "3"})
	g.Git("checkout", "--quiet", "main")
	r := open(t, g.Dir)

	g.Tag("api/v0.1.0", c1)
	if err := r.CreateTag(ctx, "api/v0.2.0", c2, "release api 0.2.0\n"); err != nil {
		t.Fatal(err)
	}
	g.Tag("side/v1.0.0", c3)
	g.Git("tag", "blob-tag", g.Git("hash-object", "-w", "a"))

	for _, tc := range []struct {
		name   string
		merged string
		want   []gitrepo.Tag
	}{
		{"all", "", []gitrepo.Tag{{"api/v0.1.0", c1}, {"api/v0.2.0", c2}, {"side/v1.0.0", c3}}},
		{"merged into main", "main", []gitrepo.Tag{{"api/v0.1.0", c1}, {"api/v0.2.0", c2}}},
		{"merged into side", "side", []gitrepo.Tag{{"api/v0.1.0", c1}, {"side/v1.0.0", c3}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Tags(ctx, tc.merged)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Tags (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("errors", func(t *testing.T) {
		if err := r.CreateTag(ctx, "api/v0.2.0", c2, ""); err == nil {
			t.Error("CreateTag of an existing tag succeeded")
		}
		if err := r.CreateTag(ctx, "bad..name", c2, ""); err == nil {
			t.Error("CreateTag of an invalid name succeeded")
		}
	})
}

func TestPushTags(t *testing.T) {
	ctx := context.Background()
	g := gittest.New(t)
	c := g.Commit("one", map[string]string{"a": "1"})
	remote := gittest.New(t)
	remote.Git("config", "receive.denyCurrentBranch", "ignore")
	r := open(t, g.Dir)
	for _, n := range []string{"api/v1.0.0", "web/v1.0.0+build.1"} {
		if err := r.CreateTag(ctx, n, c, "release "+n); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.PushTags(ctx, remote.Dir, "api/v1.0.0", "web/v1.0.0+build.1"); err != nil {
		t.Fatal(err)
	}
	got, err := open(t, remote.Dir).Tags(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []gitrepo.Tag{{"api/v1.0.0", c}, {"web/v1.0.0+build.1", c}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("remote tags (-want +got):\n%s", diff)
	}
	if err := r.PushTags(ctx, remote.Dir, "missing/v1"); err == nil {
		t.Error("pushing a missing tag succeeded")
	}
}

func TestReads(t *testing.T) {
	ctx := context.Background()
	g := gittest.New(t)
	c1 := g.Commit("one", map[string]string{"deploy/api.yaml": "image: a\n", "deploy/sub/w.yaml": "w\n", "x.txt": "x\n"})
	g.Commit("two", map[string]string{"deploy/api.yaml": "image: b\n"})
	if err := os.WriteFile(filepath.Join(g.Dir, "deploy/api.yaml"), []byte("dirty\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := open(t, g.Dir)
	sub := open(t, filepath.Join(g.Dir, "deploy"))

	for _, tc := range []struct {
		name      string
		repo      *gitrepo.Repo
		rev, file string
		want      string
	}{
		{"old revision", r, c1, "deploy/api.yaml", "image: a\n"},
		{"HEAD, not the work tree", r, "HEAD", "deploy/api.yaml", "image: b\n"},
		{"relative to a subdirectory", sub, "HEAD", "sub/w.yaml", "w\n"},
	} {
		t.Run("ReadFile/"+tc.name, func(t *testing.T) {
			got, err := tc.repo.ReadFile(ctx, tc.rev, tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("ReadFile (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := r.ReadFile(ctx, "HEAD", "missing"); err == nil {
		t.Error("ReadFile of a missing file succeeded")
	}

	for _, tc := range []struct {
		name string
		repo *gitrepo.Repo
		dir  string
		want []string
	}{
		{"all", r, "", []string{"deploy/api.yaml", "deploy/sub/w.yaml", "x.txt"}},
		{"under a directory", r, "deploy/sub", []string{"deploy/sub/w.yaml"}},
		{"from a subdirectory", sub, ".", []string{"api.yaml", "sub/w.yaml"}},
	} {
		t.Run("ListFiles/"+tc.name, func(t *testing.T) {
			got, err := tc.repo.ListFiles(ctx, "HEAD", tc.dir)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ListFiles (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("RevParse and IsAncestor", func(t *testing.T) {
		head, err := r.RevParse(ctx, "HEAD")
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			a, b string
			want bool
		}{{c1, head, true}, {head, c1, false}, {head, head, true}} {
			got, err := r.IsAncestor(ctx, tc.a, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("IsAncestor(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
		}
		if _, err := r.RevParse(ctx, "nope"); err == nil {
			t.Error("RevParse of a missing revision succeeded")
		}
	})
}
