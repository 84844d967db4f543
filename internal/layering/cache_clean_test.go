package layering

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gobake/gobake/internal/graph"
)

// TestCleanCacheKeepsTreesInUse checks that cache clean removes the trees
// of plan --since but the one a run holds (locked), whose files must stay
// whole while it reads them, and everything else.
func TestCleanCacheKeepsTreesInUse(t *testing.T) {
	dir := t.TempDir()
	write := func(rel string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("data"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("bin/x")
	write(graph.RefTreesName + "/used/tree/a.go")
	write(graph.RefTreesName + "/used/lock")
	write(graph.RefTreesName + "/idle/tree/a.go")
	write(graph.RefTreesName + "/idle/lock")
	lock, err := os.Open(filepath.Join(dir, graph.RefTreesName, "used", "lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}

	freed, err := CleanCache(dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if freed != 12 { // bin/x, idle's a.go and lock
		t.Errorf("freed %d bytes, want 12", freed)
	}
	for rel, want := range map[string]bool{
		"bin":                                  false,
		graph.RefTreesName + "/idle":           false,
		graph.RefTreesName + "/used/tree/a.go": true,
		graph.RefTreesName + "/used/lock":      true,
	} {
		_, err := os.Stat(filepath.Join(dir, rel))
		if got := err == nil; got != want {
			t.Errorf("%s: there %v, want %v (%v)", rel, got, want, err)
		}
	}

	lock.Close() // the run ends: the next clean takes it
	if _, err := CleanCache(dir, time.Now()); err != nil {
		t.Fatal(err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Errorf("the second clean left %d entries", len(es))
	}
}
