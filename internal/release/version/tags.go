package version

import (
	"context"
	"fmt"
	"slices"

	"github.com/Masterminds/semver/v3"

	"github.com/gobake/gobake/internal/release/gitrepo"
	"github.com/gobake/gobake/internal/reltag"
)

// Tagged is one release of an image: its version and git tag.
type Tagged struct {
	Version *semver.Version // the version the tag names
	Tag     string          // the git tag
	Commit  string          // full hash of the tagged commit
}

// Tags returns the releases of image: the git tags matching the tag
// template tmpl, sorted by version (oldest first). With at "", every tag
// counts; otherwise only tags reachable from the revision at.
func Tags(ctx context.Context, repo *gitrepo.Repo, image, tmpl, at string) ([]Tagged, error) {
	pattern, err := reltag.Compile(tmpl, image)
	if err != nil {
		return nil, err
	}
	tags, err := repo.Tags(ctx, at)
	if err != nil {
		return nil, fmt.Errorf("releases of %s: %w", image, err)
	}
	var out []Tagged
	for _, t := range tags {
		v, ok := pattern.Match(t.Name)
		if ok {
			out = append(out, Tagged{Version: v, Tag: t.Name, Commit: t.Commit})
		}
	}
	slices.SortStableFunc(out, func(a, b Tagged) int { return a.Version.Compare(b.Version) })
	return out, nil
}

// Last returns the last final release of image: the highest version
// without a pre-release among its tags reachable from the revision at (""
// for HEAD). It returns nil when the image has never been released.
func Last(ctx context.Context, repo *gitrepo.Repo, image, tmpl, at string) (*Tagged, error) {
	if at == "" {
		at = "HEAD"
	}
	tags, err := Tags(ctx, repo, image, tmpl, at)
	if err != nil {
		return nil, err
	}
	for i := len(tags) - 1; i >= 0; i-- {
		if tags[i].Version.Prerelease() == "" {
			return &tags[i], nil
		}
	}
	return nil, nil
}
