package release

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/go-multierror"
)

// createTags creates the git tag of every image at the released commit and
// pushes them all at once to the repository's remote, when it has one. A
// tag that already names the commit is kept. When anything fails, the
// tags this call created are deleted again, so that running the release
// again decides the same versions.
func (r *run) createTags(ctx context.Context) error {
	annotate := r.repo.HasIdentity(ctx) // without an identity the tags are lightweight
	var created []string
	var errs *multierror.Error
	for _, img := range r.report.Images {
		if c, err := r.repo.RevParse(ctx, "refs/tags/"+img.GitTag); err == nil {
			if c != img.commit {
				errs = multierror.Append(errs, fmt.Errorf("git tag %s exists and names %s, not %s", img.GitTag, c, img.commit))
			}
			continue
		}
		msg := ""
		if annotate {
			msg = fmt.Sprintf("%s %s\n\n%s\n", img.Image, img.Version, img.Reference)
		}
		if err := r.repo.CreateTag(ctx, img.GitTag, img.commit, msg); err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		created = append(created, img.GitTag)
	}
	if err := errs.ErrorOrNil(); err != nil {
		return r.rollbackTags(ctx, created, err)
	}
	remote, err := r.remote(ctx)
	if err != nil {
		return r.rollbackTags(ctx, created, err)
	}
	var names []string
	for _, img := range r.report.Images {
		names = append(names, img.GitTag)
	}
	if remote != "" {
		if err := r.repo.PushTags(ctx, remote, names...); err != nil {
			return r.rollbackTags(ctx, created, err)
		}
	}
	r.report.GitTags, r.report.Remote = names, remote
	return nil
}

// rollbackTags deletes the tags created and returns err with any failure
// to delete them.
func (r *run) rollbackTags(ctx context.Context, created []string, err error) error {
	errs := multierror.Append(nil, err)
	if derr := r.repo.DeleteTags(ctx, created...); derr != nil {
		errs = multierror.Append(errs, derr)
	}
	return errs.ErrorOrNil()
}

// remote returns the remote the git tags are pushed to: origin, else the
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
