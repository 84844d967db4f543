package runtmp

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// TestOpenSweepsDeadRuns checks that Open removes the directory of a run
// whose lock nobody holds (a run killed with SIGKILL leaves exactly that)
// and keeps the directory of a live run.
func TestOpenSweepsDeadRuns(t *testing.T) {
	parent := t.TempDir()
	live, err := Open(parent)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	// A dead run: its directory, with a file, and its unlocked lock file.
	dead := filepath.Join(parent, "run-dead")
	if err := os.MkdirAll(filepath.Join(dead, "gobake-123"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dead+".lock", nil, 0o600); err != nil {
		t.Fatal(err)
	}

	d, err := Open(parent)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Base(d.Path()), filepath.Base(d.Path()) + ".lock", filepath.Base(live.Path()), filepath.Base(live.Path()) + ".lock"}
	sort.Strings(want)
	if diff := cmp.Diff(want, entries(t, parent)); diff != "" {
		t.Errorf("after Open (-want +got):\n%s", diff)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	want = []string{filepath.Base(live.Path()), filepath.Base(live.Path()) + ".lock"}
	if diff := cmp.Diff(want, entries(t, parent)); diff != "" {
		t.Errorf("after Close (-want +got):\n%s", diff)
	}
}

// TestSweepKeepsLockOfUnremovedDir checks that a dead run's directory that
// cannot be removed yet (a go build the killed run started is still
// writing into it) keeps its lock file, so that the next Sweep removes it.
// Without that, the directory was orphaned: no lock file, never swept.
func TestSweepKeepsLockOfUnremovedDir(t *testing.T) {
	parent := t.TempDir()
	dead := filepath.Join(parent, "run-dead")
	if err := os.MkdirAll(filepath.Join(dead, "b001"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dead+".lock", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	busy := func(string) error { return os.ErrPermission }
	sweep(parent, busy)
	if diff := cmp.Diff([]string{"run-dead", "run-dead.lock"}, entries(t, parent)); diff != "" {
		t.Errorf("after a sweep that could not remove the directory (-want +got):\n%s", diff)
	}
	Sweep(parent)
	if got := entries(t, parent); len(got) != 0 {
		t.Errorf("after the next sweep, %s still holds %q", parent, got)
	}
}
