package release

import (
	"context"
	"fmt"
	"slices"

	"github.com/gobake/gobake/internal/redact"
	"github.com/gobake/gobake/internal/release/gitops"
)

// writeGitOps commits the digests of the release to the GitOps repository
// (or, in a dry run, only computes the diff). Images of the configuration
// not in the release may be missing from some targets.
func (r *run) writeGitOps(ctx context.Context) error {
	g := r.cfg.GitOps
	if g == nil {
		return nil
	}
	var imgs []Image
	for _, img := range r.report.Images {
		if img.newest {
			imgs = append(imgs, img)
		}
	}
	if len(imgs) == 0 {
		return nil // newer releases own the deployment
	}
	o := gitops.OptionsFor(g, updatesOf(imgs))
	o.PushBranch = r.opts.GitOpsBranch
	o.Partial = true
	if !r.opts.DryRun {
		o.Refresh = r.refreshGitOps
	}
	rep := &GitOpsReport{Repo: redact.String(g.Repo), Files: []string{}}
	r.report.GitOps = rep
	var res gitops.Result
	var err error
	if r.opts.DryRun {
		res, err = gitops.Plan(ctx, o)
	} else {
		res, err = gitops.Apply(ctx, o)
	}
	rep.Branch, rep.Commit, rep.Pushed, rep.Message, rep.Diff = res.Branch, res.Commit, res.Pushed, res.Message, res.Diff
	for _, c := range res.Changes {
		if c.Changed() && !slices.Contains(rep.Files, c.File) {
			rep.Files = append(rep.Files, c.File)
		}
	}
	rep.Files = append(rep.Files, res.Changelogs...)
	return err
}

// updatesOf returns the GitOps updates of imgs.
func updatesOf(imgs []Image) []gitops.Update {
	var updates []gitops.Update
	for _, img := range imgs {
		updates = append(updates, gitops.Update{
			Image: img.Image, Repository: img.Repository, Version: img.Version,
			Tag: img.ociTag, Digest: img.Digest, Notes: img.Notes.Text(""), Changelog: img.Notes.Markdown("###"),
		})
	}
	return updates
}

// gitOpsChanges reports whether writing imgs to the GitOps repository
// would change it.
func (r *run) gitOpsChanges(ctx context.Context, imgs []Image) (bool, error) {
	o := gitops.OptionsFor(r.cfg.GitOps, updatesOf(imgs))
	o.PushBranch = r.opts.GitOpsBranch
	o.Partial = true
	res, err := gitops.Plan(ctx, o)
	if err != nil {
		return false, fmt.Errorf("release: %w", err)
	}
	return slices.ContainsFunc(res.Changes, func(c gitops.Change) bool { return c.Changed() }), nil
}

// refreshGitOps fetches the tags of the source remote and keeps those of
// updates whose version is still the newest of its image: a release
// claimed meanwhile owns the deployment of its images.
func (r *run) refreshGitOps(ctx context.Context, updates []gitops.Update) ([]gitops.Update, error) {
	if r.remoteName != "" {
		if err := r.repo.FetchTags(ctx, r.remoteName); err != nil {
			return nil, fmt.Errorf("gitops: %w", err)
		}
	}
	var keep []gitops.Update
	for _, u := range updates {
		i := slices.IndexFunc(r.report.Images, func(img Image) bool { return img.Image == u.Image && img.Version == u.Version })
		if i < 0 {
			continue
		}
		newer, err := r.newerRelease(ctx, &r.report.Images[i])
		if err != nil {
			return nil, err
		}
		if newer != "" {
			r.logf("%s %s: %s was claimed meanwhile: leaving the deployment to it\n", u.Image, u.Version, newer)
			continue
		}
		keep = append(keep, u)
	}
	return keep, nil
}
