package testutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// modulePath is the module the repository root declares.
const modulePath = "github.com/gobake/gobake"

// SampleRel is the sample monorepo, relative to the repository root.
const SampleRel = "testdata/monorepo"

// findRepoRoot walks up from the working directory to the go.mod of
// github.com/gobake/gobake.
func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module "+modulePath+"\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repository root: no go.mod of " + modulePath + " above the working directory")
		}
		dir = parent
	}
}

// RepoRoot returns the absolute root of the gobake repository.
func RepoRoot(t testing.TB) string {
	t.Helper()
	root, err := findRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// CopySample copies the sample monorepo, without its .gobake output, to a
// new temporary directory and returns the copy's path.
func CopySample(t testing.TB) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "monorepo")
	if err := CopyDir(filepath.Join(RepoRoot(t), SampleRel), dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// CopyDir copies the regular files and directories under src to dst,
// keeping permission bits and leaving out .gobake and .git directories.
func CopyDir(src, dst string) error {
	return copyDir(src, dst, true)
}

// CopyTree copies the regular files and directories under src to dst,
// keeping permission bits, .git and .gobake included: a copy of a built
// repository, its history and its default OCI layout.
func CopyTree(src, dst string) error {
	return copyDir(src, dst, false)
}

func copyDir(src, dst string, source bool) error {
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case source && d.IsDir() && (d.Name() == ".gobake" || d.Name() == ".git"):
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		case info.Mode().IsRegular():
			return copyFile(p, target, info.Mode().Perm())
		default:
			return nil
		}
	})
	if err != nil {
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	return nil
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ReplaceInFile replaces old with new in the file at path, failing t when
// old does not occur.
func ReplaceInFile(t testing.TB, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, -1)), 0o644); err != nil {
		t.Fatal(err)
	}
}
