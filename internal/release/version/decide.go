package version

import (
	"context"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/gobake/gobake/internal/release/gitrepo"
)

// Query is what Decide needs to know about one image.
type Query struct {
	Image       string                 // the image name
	TagTemplate string                 // release.tagTemplate; "" means DefaultTagTemplate
	At          string                 // the revision being released; "" means HEAD
	Relevant    func(file string) bool // see Input.Relevant
	Changed     string                 // see Input.Changed
	Options     Options                // the choices of the person releasing
}

// Release is the decided release of one image.
type Release struct {
	Image    string  // the image name
	Commit   string  // full hash of the revision released
	Last     *Tagged // the last final release; nil before the first
	Decision         // the next version and why
	Tag      string  // the git tag of the new version; "" when nothing to release
	OCITag   string  // the new version as an image tag (see OCITag); "" when nothing to release
}

// Decide reads the tags and the log of repo and decides the next version of
// q.Image: Last, Commits since it, then Next.
func Decide(ctx context.Context, repo *gitrepo.Repo, q Query) (Release, error) {
	tmpl := q.TagTemplate
	if tmpl == "" {
		tmpl = DefaultTagTemplate
	}
	at := q.At
	if at == "" {
		at = "HEAD"
	}
	commit, err := repo.RevParse(ctx, at)
	if err != nil {
		return Release{}, fmt.Errorf("release of %s: %w", q.Image, err)
	}
	r := Release{Image: q.Image, Commit: commit}
	if r.Last, err = Last(ctx, repo, q.Image, tmpl, commit); err != nil {
		return Release{}, fmt.Errorf("release of %s: %w", q.Image, err)
	}
	all, err := Tags(ctx, repo, q.Image, tmpl, "")
	if err != nil {
		return Release{}, fmt.Errorf("release of %s: %w", q.Image, err)
	}
	since := ""
	if r.Last != nil {
		since = r.Last.Commit
	}
	commits, err := Commits(ctx, repo, since, commit)
	if err != nil {
		return Release{}, fmt.Errorf("release of %s: %w", q.Image, err)
	}
	in := Input{Last: r.Last, Commits: commits, Relevant: q.Relevant, Changed: q.Changed}
	for _, t := range all {
		in.Existing = append(in.Existing, t.Version)
	}
	if r.Decision, err = Next(in, q.Options); err != nil {
		return Release{}, fmt.Errorf("release of %s: %w", q.Image, err)
	}
	if r.Version != nil {
		if r.Tag, err = TagName(tmpl, q.Image, r.Version); err != nil {
			return Release{}, fmt.Errorf("release of %s: %w", q.Image, err)
		}
		r.OCITag = OCITag(r.Version)
	}
	return r, nil
}

// ParseOverride parses the value of --version for one image, IMAGE=VERSION
// (a semantic version, a leading v allowed).
func ParseOverride(s string) (image string, v *semver.Version, err error) {
	image, ver, ok := strings.Cut(s, "=")
	if !ok || image == "" || ver == "" {
		return "", nil, fmt.Errorf("--version %q: want IMAGE=VERSION, e.g. api=2.0.0", s)
	}
	if len(ver) > 1 && ver[0] == 'v' {
		ver = ver[1:]
	}
	if v, err = semver.StrictNewVersion(ver); err != nil {
		return "", nil, fmt.Errorf("--version %q: %q is not a semantic version: %w", s, ver, err)
	}
	return image, v, nil
}
