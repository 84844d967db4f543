package testutil_test

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/gobake/gobake/internal/testutil"
)

// TestShared checks that a fixture is built once for tests asking at the
// same time, that what it made outlives the test that built it, and that
// Cleanup runs its cleanups and removes its directories.
func TestShared(t *testing.T) {
	var fs testutil.Fixtures
	var builds atomic.Int32
	var cleaned atomic.Bool
	var dirs [3]string
	build := func(t testing.TB) string {
		builds.Add(1)
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "made"), []byte("once"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cleaned.Store(true) })
		return dir
	}
	t.Run("askers", func(t *testing.T) {
		for i := range dirs {
			t.Run("", func(t *testing.T) {
				t.Parallel()
				dirs[i] = testutil.Shared(t, &fs, "dir", build)
			})
		}
	})
	if n := builds.Load(); n != 1 {
		t.Errorf("built %d times, want once", n)
	}
	if dirs[0] != dirs[1] || dirs[1] != dirs[2] {
		t.Errorf("askers got different values: %q", dirs)
	}
	if _, err := os.Stat(filepath.Join(dirs[0], "made")); err != nil || cleaned.Load() {
		t.Fatalf("the fixture did not outlive the test that built it: %v, cleaned %v", err, cleaned.Load())
	}
	fs.Cleanup()
	if !cleaned.Load() {
		t.Error("Cleanup did not run the fixture's cleanups")
	}
	if _, err := os.Stat(dirs[0]); !os.IsNotExist(err) {
		t.Errorf("Cleanup left %s: %v", dirs[0], err)
	}
}
