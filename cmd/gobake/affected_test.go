package main

import (
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
			got := string(out)
			if tc.want == "" && strings.TrimSpace(got) != "[]" || tc.want != "" && !strings.Contains(got, `"image": "`+tc.want+`"`) {
				t.Errorf("affected = %s, want image %q", got, tc.want)
			}
		})
	}
}
