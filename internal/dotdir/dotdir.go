// Package dotdir keeps gobake's own directory, .gobake/ beside
// gobake.yaml (hash cache, default OCI layout), out of git: whoever
// creates it writes .gobake/.gitignore, ignoring everything, first, so that
// gobake's files never make a work tree dirty, whatever the repository's
// own .gitignore says. It is plumbing: every package may use it.
package dotdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Name is the name of gobake's own directory.
const Name = ".gobake"

// Gitignore is what Prepare writes to .gobake/.gitignore: everything in
// the directory, the .gitignore included, is ignored.
const Gitignore = "# gobake's own files (caches, OCI layouts): never committed\n*\n"

// Prepare readies path, a file or directory gobake is about to write, for
// writing: every directory named .gobake on the way to it is created, with
// a .gitignore ignoring everything, before anything else goes in. An
// existing .gitignore is left as it is. Paths outside any .gobake
// directory are left alone.
func Prepare(path string) error {
	path = filepath.Clean(path)
	vol := filepath.VolumeName(path)
	rest := path[len(vol):]
	for i := 0; i < len(rest); i++ {
		end := i + len(Name)
		if end > len(rest) || rest[i:end] != Name || (i > 0 && !os.IsPathSeparator(rest[i-1])) || (end < len(rest) && !os.IsPathSeparator(rest[end])) {
			continue
		}
		if err := ignore(vol + rest[:end]); err != nil {
			return err
		}
	}
	return nil
}

// ignore creates the directory dir with its .gitignore, when missing.
func ignore(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	p := filepath.Join(dir, ".gitignore")
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", p, err)
	}
	if _, err := f.WriteString(Gitignore); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}
