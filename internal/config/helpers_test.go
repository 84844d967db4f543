package config

import (
	"os"
	"path/filepath"
	"testing"
)

// repoFiles is the work tree the fixtures in testdata are loaded in.
var repoFiles = map[string]string{
	"go.mod":                                 "module example.com/mono\n\ngo 1.26\n",
	"services/api/cmd/api/main.go":           "// Command api serves.\npackage main\n\nfunc main() {}\n",
	"services/api/cmd/api/main_test.go":      "package main_test\n",
	"services/api/cmd/api/kodata/index.html": "hello\n",
	"services/worker/main.go":                "package main\n\nfunc main() {}\n",
	"services/worker/gen.go":                 "//go:build ignore\n\npackage gen\n",
	"services/worker/other_linux.go":         "//go:build !windows\n\npackage main\n",
	"lib/lib.go":                             "package lib\n",
	"mixed/a.go":                             "package main\n",
	"mixed/b.go":                             "package other\n",
	"empty/README.md":                        "nothing\n",
	"notadir.txt":                            "a file\n",
	"mod2/go.mod":                            "module example.com/mod2\n\ngo 1.26\n",
	"mod2/cmd/tool/main.go":                  "package main\n\nfunc main() {}\n",
	"mod2/assets/a.txt":                      "asset\n",
}

// newRepo writes repoFiles into a temporary directory, plus a symlink
// "escape" to a package main outside of it, and returns its path.
func newRepo(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	writeFiles(t, root, repoFiles)
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"main.go": "package main\n"})
	if err := os.Symlink(outside, filepath.Join(root, "escape")); err != nil {
		t.Fatal(err)
	}
	return root
}

// writeFiles writes files (slash-separated path to content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// loadFixture copies testdata/<fixture> into a new repository as its base
// name and loads it from there, by a relative path, with getenv.
func loadFixture(t *testing.T, fixture string, getenv func(string) string) (*Config, string, error) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", fixture))
	if err != nil {
		t.Fatal(err)
	}
	root := newRepo(t)
	name := filepath.Base(fixture)
	writeFiles(t, root, map[string]string{name: string(src)})
	t.Chdir(root)
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	cfg, err := Load(name, WithGetenv(getenv))
	return cfg, root, err
}
