package gitops

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/gobake/gobake/internal/config"
)

// fileEdit is the new content of one file of the deployment repository.
type fileEdit struct {
	path    string // slash-separated, relative to the repository
	out     []byte
	changed bool
}

// editTree edits the targets in the work tree dir, in memory: it reads
// every file, checks that each target holds at least one of the images,
// and returns the edits and every matched value. Nothing is written. With
// partial, a target may hold none of the images, but one target must.
func editTree(dir string, targets []config.GitOpsTarget, updates []Update, pin config.Pin, partial bool) ([]fileEdit, []Change, error) {
	var edits []fileEdit
	var all []Change
	seen := map[string]bool{}
	for _, t := range targets {
		matches, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(t.File)))
		if err != nil {
			return nil, nil, fmt.Errorf("target %s: %w", t.File, err)
		}
		if len(matches) == 0 {
			return nil, nil, fmt.Errorf("target %s: no such file in the deployment repository", t.File)
		}
		slices.Sort(matches)
		var found []Change
		for _, m := range matches {
			rel, err := filepath.Rel(dir, m)
			if err != nil {
				return nil, nil, fmt.Errorf("target %s: %w", t.File, err)
			}
			rel = filepath.ToSlash(rel)
			if seen[rel] {
				return nil, nil, fmt.Errorf("target %s: %s is also matched by an earlier target", t.File, rel)
			}
			seen[rel] = true
			src, err := os.ReadFile(m)
			if err != nil {
				return nil, nil, fmt.Errorf("target %s: %w", t.File, err)
			}
			out, changes, err := Edit(src, rel, t, updates, pin)
			if err != nil {
				return nil, nil, err
			}
			found = append(found, changes...)
			changed := slices.ContainsFunc(changes, Change.Changed)
			edits = append(edits, fileEdit{path: rel, out: out, changed: changed})
		}
		if len(found) == 0 && !partial {
			return nil, nil, fmt.Errorf("target %s: none of the images (%s) appears in %d file(s)", t.File, imageNames(updates), len(matches))
		}
		all = append(all, found...)
	}
	if len(all) == 0 {
		return nil, nil, fmt.Errorf("none of the images (%s) appears in the targets", imageNames(updates))
	}
	return edits, all, nil
}

// writeEdits writes the changed files into dir and returns their paths.
func writeEdits(dir string, edits []fileEdit) ([]string, error) {
	var paths []string
	for _, e := range edits {
		if !e.changed {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(e.path))
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", e.path, err)
		}
		if err := os.WriteFile(p, e.out, fi.Mode().Perm()); err != nil {
			return nil, fmt.Errorf("write %s: %w", e.path, err)
		}
		paths = append(paths, e.path)
	}
	return paths, nil
}

// imageNames lists the names of updates, comma-separated.
func imageNames(updates []Update) string {
	s := ""
	for i, u := range updates {
		if i > 0 {
			s += ", "
		}
		s += u.Image
	}
	return s
}
