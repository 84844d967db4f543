package dotdir

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPrepare(t *testing.T) {
	for _, tc := range []struct {
		name    string
		path    string   // under the temporary root
		ignored []string // .gobake directories that must hold the .gitignore
		absent  []string // paths that must not exist
	}{
		{name: "cache file", path: ".gobake/cache/filehash.v1", ignored: []string{".gobake"}, absent: []string{".gobake/cache"}},
		{name: "layout", path: "sub/.gobake/oci", ignored: []string{"sub/.gobake"}, absent: []string{"sub/.gobake/oci"}},
		{name: "the directory itself", path: ".gobake", ignored: []string{".gobake"}},
		{name: "nested", path: ".gobake/x/.gobake/y", ignored: []string{".gobake", ".gobake/x/.gobake"}},
		{name: "no .gobake", path: "out/oci", absent: []string{"out"}},
		{name: "look-alike names", path: "x.gobake/.gobakeish/oci", absent: []string{"x.gobake"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if err := Prepare(filepath.Join(root, tc.path)); err != nil {
				t.Fatal(err)
			}
			for _, d := range tc.ignored {
				b, err := os.ReadFile(filepath.Join(root, d, ".gitignore"))
				if err != nil {
					t.Fatal(err)
				}
				if string(b) != Gitignore {
					t.Errorf("%s/.gitignore = %q, want %q", d, b, Gitignore)
				}
			}
			for _, p := range tc.absent {
				if _, err := os.Stat(filepath.Join(root, p)); err == nil {
					t.Errorf("%s was created", p)
				}
			}
		})
	}
}

func TestPrepareKeepsGitignore(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, ".gobake", ".gitignore")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("cache/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Prepare(filepath.Join(root, ".gobake", "oci")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "cache/\n" {
		t.Errorf("an existing .gitignore was rewritten: %q", b)
	}
}
