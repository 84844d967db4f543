package release

import (
	"context"
	"fmt"
	"slices"

	"github.com/gobake/gobake/internal/redact"
	"github.com/gobake/gobake/internal/release/gitops"
)

// gitOpsOptions returns the options of the GitOps commit of the release:
// the digests of its images whose version is the newest. ok is false when
// there is nothing to write: no gitops stanza, or newer releases own the
// deployment of every image. Images of the configuration not in the
// release may be missing from some targets.
func (r *run) gitOpsOptions() (o gitops.Options, ok bool) {
	g := r.cfg.GitOps
	if g == nil {
		return o, false
	}
	var imgs []Image
	for _, img := range r.report.Images {
		if img.newest {
			imgs = append(imgs, img)
		}
	}
	if len(imgs) == 0 {
		return o, false // newer releases own the deployment
	}
	o = gitops.OptionsFor(g, updatesOf(imgs))
	o.PushBranch = r.opts.GitOpsBranch
	o.Partial = true
	return o, true
}

// planGitOps computes the diff of the GitOps commit of a dry run.
func (r *run) planGitOps(ctx context.Context) error {
	o, ok := r.gitOpsOptions()
	if !ok {
		return nil
	}
	res, err := gitops.Plan(ctx, o)
	r.reportGitOps(res)
	return err
}

// prepareGitOps starts making the GitOps commit of the release without
// pushing it (see gitops.Prepare) and returns a function that waits for
// it: a nil Pending when there is nothing to write. Each round re-reads
// the claims (refreshGitOps) once it has read the branch's head, with a
// copy of the report's images taken here: the commit is made while
// moveTags writes theirs.
func (r *run) prepareGitOps(ctx context.Context) func() (*gitops.Pending, error) {
	o, ok := r.gitOpsOptions()
	if !ok {
		return func() (*gitops.Pending, error) { return nil, nil }
	}
	imgs := slices.Clone(r.report.Images)
	o.Refresh = func(ctx context.Context, updates []gitops.Update) ([]gitops.Update, error) {
		return r.refreshGitOps(ctx, imgs, updates)
	}
	type prepared struct {
		p   *gitops.Pending
		err error
	}
	done := make(chan prepared, 1)
	go func() {
		p, err := gitops.Prepare(ctx, o)
		if res := p.Result(); err == nil && res.Message != "" {
			r.logf("gitops: commit %s made, to push once every image tag is in place\n", short(res.Commit))
		}
		done <- prepared{p, err}
	}()
	return func() (*gitops.Pending, error) {
		res := <-done
		return res.p, res.err
	}
}

// reportGitOps records what the GitOps step did in the report.
func (r *run) reportGitOps(res gitops.Result) {
	rep := &GitOpsReport{Repo: redact.String(r.cfg.GitOps.Repo), Files: []string{}}
	r.report.GitOps = rep
	rep.Branch, rep.Commit, rep.Pushed, rep.Message, rep.Diff = res.Branch, res.Commit, res.Pushed, res.Message, res.Diff
	for _, c := range res.Changes {
		if c.Changed() && !slices.Contains(rep.Files, c.File) {
			rep.Files = append(rep.Files, c.File)
		}
	}
	rep.Files = append(rep.Files, res.Changelogs...)
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
// updates whose version is still the newest of its image (of imgs, the
// release's images): a release claimed meanwhile owns the deployment of
// its images.
func (r *run) refreshGitOps(ctx context.Context, imgs []Image, updates []gitops.Update) ([]gitops.Update, error) {
	if r.remoteName != "" {
		if err := r.repo.FetchTags(ctx, r.remoteName); err != nil {
			return nil, fmt.Errorf("gitops: %w", err)
		}
	}
	var keep []gitops.Update
	for _, u := range updates {
		i := slices.IndexFunc(imgs, func(img Image) bool { return img.Image == u.Image && img.Version == u.Version })
		if i < 0 {
			continue
		}
		newer, err := r.newerRelease(ctx, &imgs[i])
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
