package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAffectedDeletedFromStandardInput pipes file names, as `git diff
// --name-only` prints them, into gobake affected: a deleted Go file of the
// image's main package finds the image; a deleted file that fed nothing
// finds none.
func TestAffectedDeletedFromStandardInput(t *testing.T) {
	cfg := writeRepo(t)
	root := filepath.Dir(cfg)
	for _, f := range []string{"cmd/hello/old.go", "cmd/hello/old_test.go", "notes.txt"} {
		noErr(t, os.WriteFile(filepath.Join(root, f), []byte("package main\n"), 0o644))
		noErr(t, os.Remove(filepath.Join(root, f)))
	}
	for _, tc := range []struct {
		name, stdin, want string
		args              []string
	}{
		{"deleted Go file", "cmd/hello/old.go\n", "hello", nil},
		{"deleted Go file with -", "cmd/hello/old.go\n", "hello", []string{"-"}},
		{"deleted files that fed nothing", "cmd/hello/old_test.go\nnotes.txt\n\n", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := gobakeProcess(t, nil, append([]string{"--config", cfg, "affected", "--json"}, tc.args...)...)
			cmd.Dir = root
			cmd.Stdin = strings.NewReader(tc.stdin)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("gobake affected: %v\n%s", err, out)
			}
			var rep affectedReport
			if err := json.Unmarshal(out, &rep); err != nil {
				t.Fatalf("affected --json: %v\n%s", err, out)
			}
			var got []string
			for _, h := range rep.Images {
				got = append(got, h.Image)
			}
			if want := strings.Fields(tc.want); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("affected = %v, want %v", got, want)
			}
		})
	}
}
