// Package reltag names the git tags of image releases: the tag template
// (release.tagTemplate), its default, and the version of an image's first
// release. It sits on the ground floor so that config checks a template
// with the same rules that release uses to make and read tags.
package reltag

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"

	"github.com/Masterminds/semver/v3"

	"github.com/gobake/gobake/internal/gitexec"
)

// DefaultTemplate is the git tag of an image's release when
// release.tagTemplate is not set: api/v1.4.2.
const DefaultTemplate = "{{.Image}}/v{{.Version}}"

// DefaultInitial is the version of an image's first release when
// release.initialVersion is not set.
const DefaultInitial = "0.1.0"

// tagData is what a tag template sees.
type tagData struct {
	Image   string // the image name
	Version string // the version, without a leading v
}

// render executes the tag template with image and version as written.
func render(tmpl, image, version string) (string, error) {
	t, err := template.New("tag").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", fmt.Errorf("tag template %q: %w", tmpl, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, tagData{Image: image, Version: version}); err != nil {
		return "", fmt.Errorf("tag template %q: %w", tmpl, err)
	}
	return b.String(), nil
}

// Name returns the git tag of image at version v under the tag template
// tmpl (.Image and .Version; see DefaultTemplate). It fails when the
// result is not a valid git tag name.
func Name(tmpl, image string, v *semver.Version) (string, error) {
	name, err := render(tmpl, image, v.String())
	if err != nil {
		return "", err
	}
	if err := checkRefName(name); err != nil {
		return "", fmt.Errorf("tag template %q for %s %s: %w", tmpl, image, v, err)
	}
	return name, nil
}

// versionMark stands for the version when splitting a template's output.
const versionMark = "\x00"

// Pattern recognises the tags of one image under one template.
type Pattern struct {
	prefix, suffix string // the text before and after the version
}

// Compile returns the pattern of image's tags under tmpl. The template must
// use .Version exactly once.
func Compile(tmpl, image string) (Pattern, error) {
	s, err := render(tmpl, image, versionMark)
	if err != nil {
		return Pattern{}, err
	}
	if strings.Count(s, versionMark) != 1 {
		return Pattern{}, fmt.Errorf("tag template %q must use {{.Version}} exactly once", tmpl)
	}
	prefix, suffix, _ := strings.Cut(s, versionMark)
	return Pattern{prefix: prefix, suffix: suffix}, nil
}

// Match returns the version that tag names, and false when tag is not a
// tag of the pattern's image (another image's, or not a semantic version
// without a leading v in the version's place).
func (p Pattern) Match(tag string) (*semver.Version, bool) {
	rest, ok := strings.CutPrefix(tag, p.prefix)
	if !ok {
		return nil, false
	}
	middle, ok := strings.CutSuffix(rest, p.suffix)
	if !ok {
		return nil, false
	}
	v, err := semver.StrictNewVersion(middle)
	if err != nil {
		return nil, false
	}
	return v, true
}

// Parse returns the version of image that tag names under the tag
// template tmpl, and false when tag is not a tag of image.
func Parse(tmpl, image, tag string) (*semver.Version, bool, error) {
	p, err := Compile(tmpl, image)
	if err != nil {
		return nil, false, err
	}
	v, ok := p.Match(tag)
	return v, ok, nil
}

// checkRefName checks git's rules for a tag name.
func checkRefName(name string) error { return gitexec.CheckTag(name) }

// Check checks a tag template as release.tagTemplate: it must parse, use
// only .Image and .Version, use .Version exactly once, and make valid git
// tag names.
func Check(tmpl string) error {
	if _, err := Compile(tmpl, "example"); err != nil {
		return err
	}
	_, err := Name(tmpl, "example", semver.MustParse("1.2.3-rc.1+build.1"))
	return err
}
