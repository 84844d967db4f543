package scaffold

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gobake/gobake/internal/kocompat"
)

// devDirs names the directories whose main packages are development
// tooling, tests or documentation rather than deployed images, and what
// they hold.
var devDirs = map[string]string{
	"hack":        "development tooling",
	"test":        "tests",
	"tests":       "tests",
	"testing":     "tests",
	"e2e":         "tests",
	"docs":        "documentation",
	"doc":         "documentation",
	"example":     "examples",
	"examples":    "examples",
	"third_party": "third-party code",
}

// devPlace says where a path relative to the repository (slash-separated)
// lies when it is in one of devDirs, e.g. "under hack/ (development
// tooling)"; "" when it is not.
func devPlace(rel string) string {
	parts := strings.Split(rel, "/")
	for i, p := range parts {
		if what, ok := devDirs[p]; ok {
			return fmt.Sprintf("under %s/ (%s)", path.Join(parts[:i+1]...), what)
		}
	}
	return ""
}

// Selection says which mains become images and why the others do not.
type Selection struct {
	// Disabled maps the import path of each main written commented out to
	// the reason, e.g. "under hack/ (development tooling)".
	Disabled map[string]string
	// RefFrom maps the import path of each main a ko:// reference names to
	// where the first such reference is (file:line).
	RefFrom map[string]string
	// Unresolved lists the ko:// references that name no main package of
	// the repository or of a module it requires.
	Unresolved []kocompat.Note
}

// Select decides which of mains are images. When Kubernetes YAML of the
// repository (outside devDirs) holds ko:// references, the mains they name
// are the images, as ko builds only those; else every main is, except
// those in devDirs. Mains that .ko.yaml configures (koConfigured, lower-case
// import paths) are images either way. When no main would be left, every
// main is an image.
func Select(root string, mains []Main, refs []kocompat.KoRef, koConfigured map[string]bool) Selection {
	s := Selection{Disabled: map[string]string{}, RefFrom: map[string]string{}}
	deployed := map[string]bool{}
	devRefs := map[string]string{} // import path → first reference from YAML in devDirs
	for _, r := range refs {
		if place := devPlace(path.Dir(r.File)); place != "" {
			if _, ok := devRefs[r.ImportPath]; !ok {
				devRefs[r.ImportPath] = fmt.Sprintf("referenced only from %s, %s", r.Pos(), place)
			}
			continue
		}
		deployed[r.ImportPath] = true
		if _, ok := s.RefFrom[r.ImportPath]; !ok {
			s.RefFrom[r.ImportPath] = r.Pos()
		}
	}
	for _, m := range mains {
		if koConfigured[strings.ToLower(m.ImportPath)] || deployed[m.ImportPath] {
			continue
		}
		rel, _ := filepath.Rel(root, m.Dir)
		place := devPlace(filepath.ToSlash(rel))
		switch {
		case len(deployed) > 0 && devRefs[m.ImportPath] != "":
			s.Disabled[m.ImportPath] = devRefs[m.ImportPath]
		case len(deployed) > 0:
			s.Disabled[m.ImportPath] = "no ko:// reference in the repository's YAML names it"
		case place != "":
			s.Disabled[m.ImportPath] = place
		}
	}
	if len(s.Disabled) == len(mains) {
		s.Disabled = map[string]string{}
	}
	return s
}

// referencedElsewhere returns the import paths that refs name, in order,
// that are not the import path of one of mains.
func referencedElsewhere(refs []kocompat.KoRef, mains []Main) []string {
	var out []string
	for _, r := range refs {
		if devPlace(path.Dir(r.File)) != "" || slices.Contains(out, r.ImportPath) ||
			slices.ContainsFunc(mains, func(m Main) bool { return m.ImportPath == r.ImportPath }) {
			continue
		}
		out = append(out, r.ImportPath)
	}
	return out
}

// RefMains returns the mains of required modules that ko:// references of
// the repository's YAML name (see DependencyMains), and a note for each
// reference that names no main package at all.
func RefMains(ctx context.Context, root string, mains []Main, refs []kocompat.KoRef) ([]Main, []kocompat.Note) {
	wanted := referencedElsewhere(refs, mains)
	if len(wanted) == 0 {
		return nil, nil
	}
	found := DependencyMains(ctx, moduleDirs(root, mains), wanted)
	var notes []kocompat.Note
	noted := map[string]bool{}
	for _, r := range refs {
		if !slices.Contains(wanted, r.ImportPath) || noted[r.ImportPath] ||
			slices.ContainsFunc(found, func(m Main) bool { return m.ImportPath == r.ImportPath }) {
			continue
		}
		noted[r.ImportPath] = true
		notes = append(notes, kocompat.Note{
			Where: r.Pos() + ": " + kocompat.KoScheme + r.ImportPath,
			What:  "not a main package of the repository or of a module it requires; no image for it",
		})
	}
	return found, notes
}
