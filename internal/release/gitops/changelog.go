package gitops

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gobake/gobake/internal/config"
)

// writeChangelogs adds a section for each update whose references changed
// to its image's changelog (o.Changelog rendered for the image) in the
// checkout dir, and returns the files it wrote. A changelog that already
// has the version's section is left alone, so a release run again (its
// GitOps commit lost to a concurrent push, then redone on the new head)
// never adds it twice; as the section goes in the same commit as the
// references, no changelog ever names a version the deployment lacks.
func writeChangelogs(dir string, o Options, changes []Change) ([]string, error) {
	if o.Changelog == "" {
		return nil, nil
	}
	var files []string
	for _, u := range o.Updates {
		if !slices.ContainsFunc(changes, func(c Change) bool { return c.Image == u.Image && c.Changed() }) {
			continue
		}
		rel, err := config.ChangelogPath(o.Changelog, u.Image)
		if err != nil {
			return nil, fmt.Errorf("gitops changelog of %s: %w", u.Image, err)
		}
		p := filepath.Join(dir, filepath.FromSlash(rel))
		old, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("gitops changelog %s: %w", rel, err)
		}
		out, changed := addSection(string(old), u)
		if !changed {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, fmt.Errorf("gitops changelog %s: %w", rel, err)
		}
		if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
			return nil, fmt.Errorf("gitops changelog %s: %w", rel, err)
		}
		files = append(files, rel)
	}
	return files, nil
}

// sectionHeading is the heading of version's section in a changelog.
func sectionHeading(version string) string { return "## " + version }

// addSection returns the changelog old with u's section first, below the
// title ("# Changelog of IMAGE", written when old is empty), and false
// when old already has that section.
func addSection(old string, u Update) (string, bool) {
	heading := sectionHeading(u.Version)
	for line := range strings.Lines(old) {
		if strings.TrimRight(line, "\r\n") == heading {
			return old, false
		}
	}
	body := strings.TrimSpace(u.Changelog)
	if body == "" {
		body = "No commit changed the image's inputs: rebuilt for another reason (base image, toolchain or configuration)."
	}
	section := heading + "\n\n" + body + "\n"
	if strings.TrimSpace(old) == "" {
		return "# Changelog of " + u.Image + "\n\n" + section, true
	}
	// Below the title when the file starts with one, else at the top.
	if strings.HasPrefix(old, "# ") {
		title, rest, _ := strings.Cut(old, "\n")
		return title + "\n\n" + section + "\n" + strings.TrimLeft(rest, "\n"), true
	}
	return section + "\n" + old, true
}
