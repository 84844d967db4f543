package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gobake/gobake/internal/dotdir"
	"github.com/gobake/gobake/internal/testutil"
)

// TestDotGobakeKeepsTreeClean runs plan, then release, in a repository
// whose .gitignore does not cover .gobake/: the cache plan writes must not
// make release refuse, nor {{.Git.TreeState}} read dirty.
func TestDotGobakeKeepsTreeClean(t *testing.T) {
	parallelAfterWarmup(t)
	e := newReleaseEnv(t)
	testutil.ReplaceInFile(t, filepath.Join(e.src, ".gitignore"), ".gobake/\n", "")
	testutil.ReplaceInFile(t, filepath.Join(e.src, "gobake.yaml"),
		"    org.opencontainers.image.source: https://example.com/mono\n",
		"    org.opencontainers.image.source: https://example.com/mono\n    com.example.tree: \"{{.Git.TreeState}}\"\n")
	testutil.Git(t, e.src, "commit", "-q", "-am", "chore: leave .gobake to gobake")
	// A checkout made a while ago: plan stores what it read only of files
	// older than its racy window (two seconds), and the copy is younger
	// when gobake is already built.
	backdate(t, e.src, time.Minute)

	gobake.MustRun(t, e.src, nil, "plan", "api")
	if _, err := os.Stat(filepath.Join(e.src, ".gobake", "cache")); err != nil {
		t.Fatalf("plan wrote no cache under .gobake: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(e.src, ".gobake", ".gitignore"))
	if err != nil || string(b) != dotdir.Gitignore {
		t.Fatalf(".gobake/.gitignore = %q (%v), want %q", b, err, dotdir.Gitignore)
	}
	if st := testutil.Git(t, e.src, "status", "--porcelain", "--untracked-files=all"); st != "" {
		t.Fatalf("after plan, git status is not clean:\n%s", st)
	}

	res, rep := e.release(t, e.src, nil, "api")
	if res.ExitCode != 0 || !rep.Released {
		t.Fatalf("release after plan: %s", res)
	}
	raw := testutil.Skopeo(t, "inspect", "--config", "docker://"+e.direct(rep.Images[0].Reference))
	var cfg struct {
		Config struct{ Labels map[string]string }
	}
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatalf("parse config: %v\n%s", err, raw)
	}
	if got := cfg.Config.Labels["com.example.tree"]; got != "clean" {
		t.Errorf("{{.Git.TreeState}} = %q, want clean", got)
	}
	if st := testutil.Git(t, e.src, "status", "--porcelain", "--untracked-files=all"); strings.TrimSpace(st) != "" {
		t.Errorf("after release, git status is not clean:\n%s", st)
	}
}

// backdate sets the modification time of every file and directory under
// dir, .git left out, to d ago.
func backdate(t *testing.T, dir string, d time.Duration) {
	t.Helper()
	old := time.Now().Add(-d)
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && e.Name() == ".git" {
			return filepath.SkipDir
		}
		return os.Chtimes(p, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
}
