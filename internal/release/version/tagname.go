package version

import (
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/gobake/gobake/internal/reltag"
)

// DefaultTagTemplate is the git tag of an image's release when
// release.tagTemplate is not set (see reltag.DefaultTemplate).
const DefaultTagTemplate = reltag.DefaultTemplate

// TagName returns the git tag of image at version v under the tag template
// tmpl (see reltag.Name).
func TagName(tmpl, image string, v *semver.Version) (string, error) {
	return reltag.Name(tmpl, image, v)
}

// ParseTag returns the version of image that tag names under the tag
// template tmpl (see reltag.Parse).
func ParseTag(tmpl, image, tag string) (*semver.Version, bool, error) {
	return reltag.Parse(tmpl, image, tag)
}

// CheckTagTemplate checks a tag template as release.tagTemplate (see
// reltag.Check).
func CheckTagTemplate(tmpl string) error { return reltag.Check(tmpl) }

// OCITag returns v as a container image tag. Tags are
// [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} and cannot hold the "+" of build
// metadata, so it becomes "_": 1.2.3-rc.1+build.5 → 1.2.3-rc.1_build.5.
// Every other character of a semantic version is legal in a tag.
func OCITag(v *semver.Version) string {
	return strings.ReplaceAll(v.String(), "+", "_")
}
