package kocompat

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/gobake/gobake/internal/yamldoc"
)

// KoScheme starts the image references ko resolves in YAML.
const KoScheme = "ko://"

// KoRef is a ko:// reference found in the repository's YAML.
type KoRef struct {
	ImportPath string // what follows ko://
	File       string // slash-separated, relative to the repository
	Line       int
}

// Pos returns "file:line".
func (r KoRef) Pos() string { return fmt.Sprintf("%s:%d", r.File, r.Line) }

// ScanKoRefs returns the ko:// references of the .yaml and .yml files under
// root, in file and line order. As ko does, a reference is a string value
// that, trimmed of blanks, starts with ko://. A file that is not YAML (a
// Helm template, say) is searched line by line instead, comment lines
// left out. Vendor, testdata, node_modules and hidden directories are
// skipped, as the go command skips them.
func ScanKoRefs(ctx context.Context, root string) ([]KoRef, error) {
	var refs []KoRef
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (name == "vendor" || name == "testdata" || name == "node_modules" ||
				strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if ext := strings.ToLower(filepath.Ext(name)); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Contains(data, []byte(KoScheme)) {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		refs = append(refs, scanKoRefs(filepath.ToSlash(rel), data)...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find ko:// references under %s: %w", root, err)
	}
	return refs, nil
}

// scanKoRefs returns the references of one file.
func scanKoRefs(file string, data []byte) []KoRef {
	docs, err := yamldoc.Decode(data)
	if err != nil {
		return scanKoRefLines(file, data)
	}
	var refs []KoRef
	for _, doc := range docs {
		yamldoc.Walk(doc, func(n *yaml.Node) {
			v := strings.TrimSpace(n.Value)
			if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && strings.HasPrefix(v, KoScheme) {
				refs = append(refs, KoRef{ImportPath: strings.TrimPrefix(v, KoScheme), File: file, Line: n.Line})
			}
		})
	}
	return refs
}

// koRefRE matches a ko:// reference in a line of text.
var koRefRE = regexp.MustCompile(`ko://([A-Za-z0-9._~/+-]+)`)

// scanKoRefLines finds references in a file that does not parse as YAML.
func scanKoRefLines(file string, data []byte) []KoRef {
	var refs []KoRef
	for i, line := range bytes.Split(data, []byte("\n")) {
		if bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			continue
		}
		for _, m := range koRefRE.FindAllSubmatch(line, -1) {
			refs = append(refs, KoRef{ImportPath: strings.TrimRight(string(m[1]), "/."), File: file, Line: i + 1})
		}
	}
	return refs
}
