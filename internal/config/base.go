package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Scratch is the base that means an empty base image.
const Scratch = "scratch"

// OCIPrefix starts a base that is a local OCI image layout.
const OCIPrefix = "oci:"

// OCIRef is a base image in a local OCI layout: oci:PATH[:TAG|@DIGEST].
// Without a tag or digest the layout's only image (or index) is meant.
type OCIRef struct {
	Path   string // directory of the layout
	Tag    string // org.opencontainers.image.ref.name of the image, "" when none
	Digest string // digest of the manifest, "" when none
}

// String formats r as oci:PATH[:TAG|@DIGEST].
func (r OCIRef) String() string {
	s := OCIPrefix + r.Path
	switch {
	case r.Digest != "":
		s += "@" + r.Digest
	case r.Tag != "":
		s += ":" + r.Tag
	}
	return s
}

// ParseOCIRef parses oci:PATH[:TAG|@DIGEST]. A tag is the text after the last
// colon that follows the last slash.
func ParseOCIRef(s string) (OCIRef, error) {
	rest, ok := strings.CutPrefix(s, OCIPrefix)
	if !ok {
		return OCIRef{}, fmt.Errorf("%q does not start with %s", s, OCIPrefix)
	}
	var r OCIRef
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		r.Path, r.Digest = rest[:at], rest[at+1:]
		if _, err := v1.NewHash(r.Digest); err != nil {
			return OCIRef{}, fmt.Errorf("%q: bad digest %q: %w", s, r.Digest, err)
		}
	} else if c := strings.LastIndex(rest, ":"); c > strings.LastIndex(rest, "/") {
		r.Path, r.Tag = rest[:c], rest[c+1:]
		if !validTag(r.Tag) {
			return OCIRef{}, fmt.Errorf("%q: %q is not a valid tag", s, r.Tag)
		}
	} else {
		r.Path = rest
	}
	if r.Path == "" {
		return OCIRef{}, fmt.Errorf("%q has no layout path", s)
	}
	return r, nil
}

var tagRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// validTag reports whether t is a valid image tag.
func validTag(t string) bool {
	return tagRE.MatchString(t)
}

var componentRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$`)

// validComponent reports whether s is a valid path component of a registry
// repository name.
func validComponent(s string) bool {
	return componentRE.MatchString(s)
}

// validRepository reports whether s is one or more valid components
// separated by slashes.
func validRepository(s string) bool {
	for c := range strings.SplitSeq(s, "/") {
		if !validComponent(c) {
			return false
		}
	}
	return true
}

// IsBaseName reports whether base is a bare word naming an entry of bases:
// no "/", ":", "@" or ".", and not "scratch".
func IsBaseName(base string) bool {
	return base != "" && base != Scratch && !strings.ContainsAny(base, "/:@.")
}

// checkBaseRef checks a base that is not a name: scratch, oci:PATH or an
// image reference.
func checkBaseRef(s string) error {
	switch {
	case s == "":
		return errors.New("must not be empty")
	case s == Scratch:
		return nil
	case strings.HasPrefix(s, OCIPrefix):
		_, err := ParseOCIRef(s)
		return err
	}
	if _, err := name.ParseReference(s); err != nil {
		return fmt.Errorf("%q is not an image reference: %w", s, err)
	}
	return nil
}

// absBaseRef makes the path of an oci: base absolute, relative to root.
func absBaseRef(s, root string) string {
	if !strings.HasPrefix(s, OCIPrefix) {
		return s
	}
	r, err := ParseOCIRef(s)
	if err != nil {
		return s
	}
	if !filepath.IsAbs(r.Path) {
		r.Path = filepath.Join(root, r.Path)
	}
	return r.String()
}

// checkRegistry checks a registry or registry/prefix.
func checkRegistry(s string) error {
	if s == "" {
		return errors.New("must not be empty (leave it out to write an OCI layout)")
	}
	var err error
	if strings.Contains(s, "/") {
		_, err = name.NewRepository(s)
	} else {
		_, err = name.NewRegistry(s)
	}
	if err != nil {
		return fmt.Errorf("%q is not a registry or registry/prefix: %w", s, err)
	}
	return nil
}
