package synth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHistory: the commits of a history apply in order, the vendored
// modules stay consistent with go.mod (each bump moves both), and a spec
// without what the history edits is refused. Builds of the history are
// checked against ground truth by planner's TestReleaseHistory.
func TestHistory(t *testing.T) {
	if _, _, err := History(t.TempDir(), Spec{Mains: 4, Core: 8, PerDomain: 3}); err == nil {
		t.Error("a history of a spec without modules: no error")
	}
	dir := t.TempDir()
	_, commits, err := History(dir, HistorySpec())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commits {
		if err := c.Apply(dir); err != nil {
			t.Fatal(err)
		}
	}
	read := func(rel string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	gomod, txt := read("go.mod"), read("vendor/modules.txt")
	for _, want := range []string{"go 1.26.0", "example.com/ext0 v1.2.0", "example.com/ext1 v1.0.1", "example.com/ext2 v1.0.1"} {
		if !strings.Contains(gomod, want) {
			t.Errorf("go.mod lacks %q:\n%s", want, gomod)
		}
	}
	for _, want := range []string{"# example.com/ext0 v1.2.0\n## explicit; go 1.23\n", "# example.com/ext1 v1.0.1\n", "# example.com/ext2 v1.0.1\n"} {
		if !strings.Contains(txt, want) {
			t.Errorf("vendor/modules.txt lacks %q:\n%s", want, txt)
		}
	}
	if got := read("gobake.yaml"); !strings.Contains(got, "    - -s\n    - -w\n") {
		t.Errorf("gobake.yaml: ldflags not split:\n%s", got)
	}
}
