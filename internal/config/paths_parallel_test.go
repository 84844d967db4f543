package config

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLoadManyImages: the images' mains are checked concurrently, yet the
// configuration and its problems are what a check one by one gives: every
// image sorted by name, every problem at its line, in file order.
func TestLoadManyImages(t *testing.T) {
	const n = 24
	getenv := WithGetenv(func(string) string { return "" })
	// repo writes n images in reverse order of name; broken(i) says
	// whether image i's main is broken, and how.
	repo := func(broken func(i int) string) (path string, want []string) {
		root := t.TempDir()
		files := map[string]string{"go.mod": "module example.com/m\n\ngo 1.26\n"}
		yml := "version: 1\nimages:\n"
		for i := n - 1; i >= 0; i-- {
			name := fmt.Sprintf("s%02d", i)
			line := strings.Count(yml, "\n") + 2 // main: is below the image's key
			yml += fmt.Sprintf("  %s:\n    main: ./%s\n", name, name)
			prefix := fmt.Sprintf("%s:%d:11: images.%s.main: ./%s", filepath.Join(root, "gobake.yaml"), line, name, name)
			switch broken(i) {
			case "":
				files[name+"/main.go"] = "package main\n\nfunc main() {}\n"
			case "lib":
				files[name+"/lib.go"] = "package lib\n"
				want = append(want, prefix+" is package lib, not a package main")
			case "empty":
				files[name+"/README"] = "no Go here\n"
				want = append(want, prefix+" has no Go files")
			}
		}
		files["gobake.yaml"] = yml
		writeFiles(t, root, files)
		return filepath.Join(root, "gobake.yaml"), want
	}

	path, want := repo(func(i int) string { return []string{"", "lib", "empty"}[i%3] })
	for range 3 {
		_, err := Load(path, getenv)
		var got []string
		for _, e := range Errors(err) {
			got = append(got, e.Error())
		}
		if !slices.Equal(got, want) {
			t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}

	path, _ = repo(func(int) string { return "" })
	cfg, err := Load(path, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Images) != n {
		t.Fatalf("%d images, want %d", len(cfg.Images), n)
	}
	for i, img := range cfg.Images {
		name := fmt.Sprintf("s%02d", i)
		if img.Name != name || img.Main != "./"+name || img.Dir != filepath.Dir(path) {
			t.Errorf("image %d: %s main %s dir %s, want %s main ./%s dir %s", i, img.Name, img.Main, img.Dir, name, name, filepath.Dir(path))
		}
	}
}
