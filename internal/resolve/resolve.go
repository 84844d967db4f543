package resolve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Builder produces the images of gobake.yaml named names (building and
// pushing them, or looking up released digests) and returns the digest
// reference of each, keyed by image name.
type Builder interface {
	Build(ctx context.Context, names []string) (map[string]name.Digest, error)
}

// BuilderFunc adapts a function to Builder.
type BuilderFunc func(ctx context.Context, names []string) (map[string]name.Digest, error)

// Build calls f.
func (f BuilderFunc) Build(ctx context.Context, names []string) (map[string]name.Digest, error) {
	return f(ctx, names)
}

// Index tells which image of gobake.yaml a reference stands for.
type Index struct {
	// Images maps each image name to the import path of its main package.
	Images map[string]string
	// Mains, when set, holds the import paths of every main package of the
	// repository; it only sharpens the error for an unknown ko:// path.
	Mains map[string]bool
}

// Lookup returns the image name r refers to. ko:// references match an
// image by its main package, whatever the image is called.
func (x Index) Lookup(r Ref) (string, error) {
	switch r.Scheme {
	case GobakeScheme:
		if _, ok := x.Images[r.Target]; ok {
			return r.Target, nil
		}
		return "", fmt.Errorf("%s: %s: no image %q in gobake.yaml", r.Pos(), r, r.Target)
	case KoScheme:
		var found []string
		for img, ip := range x.Images {
			if ip == r.Target {
				found = append(found, img)
			}
		}
		slices.Sort(found)
		switch {
		case len(found) == 1:
			return found[0], nil
		case len(found) > 1:
			return "", fmt.Errorf("%s: %s: several images build this main package (%s); write gobake://IMAGE to choose", r.Pos(), r, strings.Join(found, ", "))
		case x.Mains != nil && x.Mains[r.Target]:
			return "", fmt.Errorf("%s: %s: main package is not an image of gobake.yaml; add an image for it", r.Pos(), r)
		case x.Mains != nil:
			return "", fmt.Errorf("%s: %s: not a main package of this repository", r.Pos(), r)
		}
		return "", fmt.Errorf("%s: %s: not the main package of any image in gobake.yaml", r.Pos(), r)
	}
	return "", fmt.Errorf("%s: unknown reference scheme in %s", r.Pos(), r)
}

// Resolver rewrites references with the digests of the images they name.
type Resolver struct {
	Index   Index
	Builder Builder
	// Warn receives warnings (references inside longer strings); nil
	// discards them.
	Warn io.Writer
}

// Resolve writes inputs to out, in order, with every reference replaced by
// its digest. It builds each referenced image once, and nothing when an
// input has an error: every unknown reference is reported, with file:line.
// Documents of successive inputs are separated by "---" as ko does.
func (r *Resolver) Resolve(ctx context.Context, inputs []Input, out io.Writer) error {
	type scanned struct {
		in   Input
		refs []Ref
	}
	var (
		all    []scanned
		errs   []error
		images = map[string]bool{}
		target = map[string]string{} // reference → image name
	)
	for _, in := range inputs {
		refs, warnings, err := Scan(in)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if r.Warn != nil {
			for _, w := range warnings {
				fmt.Fprintf(r.Warn, "warning: %s\n", w)
			}
		}
		for _, ref := range refs {
			img, err := r.Index.Lookup(ref)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			images[img] = true
			target[ref.String()] = img
		}
		all = append(all, scanned{in: in, refs: refs})
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	var digests map[string]name.Digest
	if len(images) > 0 {
		names := make([]string, 0, len(images))
		for n := range images {
			names = append(names, n)
		}
		slices.Sort(names)
		var err error
		if digests, err = r.Builder.Build(ctx, names); err != nil {
			return err
		}
		for _, n := range names {
			if _, ok := digests[n]; !ok {
				return fmt.Errorf("no digest for image %s after building it", n)
			}
		}
	}
	var buf bytes.Buffer
	for _, s := range all {
		if len(bytes.TrimSpace(s.in.Data)) == 0 {
			continue
		}
		if buf.Len() > 0 {
			if !bytes.HasSuffix(buf.Bytes(), []byte("\n")) {
				buf.WriteByte('\n')
			}
			if !startsWithSeparator(s.in.Data) {
				buf.WriteString("---\n")
			}
		}
		buf.Write(Rewrite(s.in.Data, s.refs, func(ref Ref) string {
			return digests[target[ref.String()]].String()
		}))
	}
	if _, err := out.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write resolved YAML: %w", err)
	}
	return nil
}

// Rewrite returns data with each of refs (as Scan found them in data)
// replaced by replacement(ref); every other byte is kept.
func Rewrite(data []byte, refs []Ref, replacement func(Ref) string) []byte {
	sorted := slices.Clone(refs)
	slices.SortFunc(sorted, func(a, b Ref) int { return a.start - b.start })
	var out bytes.Buffer
	last := 0
	for _, ref := range sorted {
		out.Write(data[last:ref.start])
		out.WriteString(replacement(ref))
		last = ref.end
	}
	out.Write(data[last:])
	return out.Bytes()
}

// startsWithSeparator reports whether data opens with a "---" line.
func startsWithSeparator(data []byte) bool {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	line = bytes.TrimRight(line, " \t\r")
	return bytes.Equal(line, []byte("---")) || bytes.HasPrefix(line, []byte("--- "))
}
