package version

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"

	"github.com/Masterminds/semver/v3"

	"github.com/gobake/gobake/internal/gitexec"
)

// DefaultTagTemplate is the git tag of an image's release when
// release.tagTemplate is not set: api/v1.4.2.
const DefaultTagTemplate = "{{.Image}}/v{{.Version}}"

// tagData is what a tag template sees.
type tagData struct {
	Image   string // the image name
	Version string // the version, without a leading v
}

// renderTag executes the tag template with image and version as written.
func renderTag(tmpl, image, version string) (string, error) {
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

// TagName returns the git tag of image at version v under the tag template
// tmpl (.Image and .Version; see DefaultTagTemplate). It fails when the
// result is not a valid git tag name.
func TagName(tmpl, image string, v *semver.Version) (string, error) {
	name, err := renderTag(tmpl, image, v.String())
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

// tagPattern returns the text before and after the version in the tags of
// image under tmpl. The template must use .Version exactly once.
func tagPattern(tmpl, image string) (prefix, suffix string, err error) {
	s, err := renderTag(tmpl, image, versionMark)
	if err != nil {
		return "", "", err
	}
	if strings.Count(s, versionMark) != 1 {
		return "", "", fmt.Errorf("tag template %q must use {{.Version}} exactly once", tmpl)
	}
	prefix, suffix, _ = strings.Cut(s, versionMark)
	return prefix, suffix, nil
}

// ParseTag returns the version of image that tag names under the tag
// template tmpl, and false when tag is not a tag of image (another image's,
// or not a semantic version without a leading v in the version's place).
func ParseTag(tmpl, image, tag string) (*semver.Version, bool, error) {
	prefix, suffix, err := tagPattern(tmpl, image)
	if err != nil {
		return nil, false, err
	}
	return parseTag(prefix, suffix, tag)
}

func parseTag(prefix, suffix, tag string) (*semver.Version, bool, error) {
	rest, ok := strings.CutPrefix(tag, prefix)
	if !ok {
		return nil, false, nil
	}
	middle, ok := strings.CutSuffix(rest, suffix)
	if !ok {
		return nil, false, nil
	}
	v, err := semver.StrictNewVersion(middle)
	if err != nil {
		return nil, false, nil
	}
	return v, true, nil
}

// OCITag returns v as a container image tag. Tags are
// [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} and cannot hold the "+" of build
// metadata, so it becomes "_": 1.2.3-rc.1+build.5 → 1.2.3-rc.1_build.5.
// Every other character of a semantic version is legal in a tag.
func OCITag(v *semver.Version) string {
	return strings.ReplaceAll(v.String(), "+", "_")
}

// checkRefName checks the rules of git check-ref-format for a tag name.
func checkRefName(name string) error {
	return gitexec.CheckTag(name)
}

// CheckTagTemplate checks a tag template as release.tagTemplate: it must
// parse, use only .Image and .Version, use .Version exactly once, and make
// valid git tag names.
func CheckTagTemplate(tmpl string) error {
	if _, _, err := tagPattern(tmpl, "example"); err != nil {
		return err
	}
	_, err := TagName(tmpl, "example", semver.MustParse("1.2.3-rc.1+build.1"))
	return err
}
