package release

import (
	"context"
	"slices"

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
	var updates []gitops.Update
	for _, img := range r.report.Images {
		updates = append(updates, gitops.Update{
			Image: img.Image, Repository: img.Repository, Version: img.Version,
			Tag: img.ociTag, Digest: img.Digest,
		})
	}
	o := gitops.OptionsFor(g, updates)
	o.PushBranch = r.opts.GitOpsBranch
	o.Partial = true
	rep := &GitOpsReport{Repo: g.Repo, Files: []string{}}
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
	return err
}
