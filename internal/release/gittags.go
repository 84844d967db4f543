package release

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gobake/gobake/internal/reltag"
)

// remote returns the source remote: the one versions come from and the
// git tags are pushed to: origin, else the
// only remote; "" when the repository has none.
func (r *run) remote(ctx context.Context) (string, error) {
	remotes, err := r.repo.Remotes(ctx)
	if err != nil {
		return "", err
	}
	switch {
	case slices.Contains(remotes, "origin"):
		return "origin", nil
	case len(remotes) == 1:
		return remotes[0], nil
	case len(remotes) == 0:
		return "", nil
	}
	return "", fmt.Errorf("git tags: the repository has several remotes (%s) and none is origin", strings.Join(remotes, ", "))
}

// managedTags returns whether a tag is a release tag of one of the
// configured images (under release.tagTemplate): gobake's own, which
// nothing else writes.
func (r *run) managedTags() (func(tag string) bool, error) {
	var pats []reltag.Pattern
	for _, img := range r.cfg.Images {
		p, err := reltag.Compile(r.cfg.Release.TagTemplate, img.Name)
		if err != nil {
			return nil, err
		}
		pats = append(pats, p)
	}
	return func(tag string) bool {
		return slices.ContainsFunc(pats, func(p reltag.Pattern) bool { _, ok := p.Match(tag); return ok })
	}, nil
}
