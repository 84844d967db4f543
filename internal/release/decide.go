package release

import (
	"context"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/hashicorp/go-multierror"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/graph/state"
	"github.com/gobake/gobake/internal/imageref"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/release/gitrepo"
	"github.com/gobake/gobake/internal/release/version"
)

// decider decides the versions of one release.
type decider struct {
	cfg      *config.Config
	repo     *gitrepo.Repo
	snap     *graph.Snapshot
	opts     Options
	commit   string
	registry []layering.RegistryOption // how the registry is reached
	rel      *relevance                // the inputs of the images decided; set by decide
}

// decide returns the release of every selected image that has something
// to release, and the others with the reason why not. The commits since
// each image's last git tag that touch its inputs decide its bump; when
// none does but its inputs differ from those recorded with the last
// release in the registry (a base image, toolchain or configuration
// change), it gets a patch.
//
// It also returns the unfinished claims of the images, at any commit but
// the one released (see unfinished): the release completes them.
func (d decider) decide(ctx context.Context, names []string) ([]version.Release, []Skipped, map[string]bool, []version.Release, error) {
	initial, err := semver.StrictNewVersion(d.cfg.Release.InitialVersion)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("release.initialVersion %q: %w", d.cfg.Release.InitialVersion, err)
	}
	changed, err := d.changedSinceLast(ctx, names)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	imgs := make([]config.Image, 0, len(names))
	for _, n := range names {
		img, _ := d.cfg.Image(n)
		imgs = append(imgs, img)
	}
	d.rel = newRelevance(d.cfg.Root, imgs, d.snap.Records)
	claimed := map[string]bool{}
	var out, completions []version.Release
	var skipped []Skipped
	var errs *multierror.Error
	for _, n := range names {
		open, err := d.unfinished(ctx, n)
		if err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		completions = append(completions, open...)
		if c, err := d.claimedHere(ctx, n); err != nil || c != nil {
			if err != nil {
				errs = multierror.Append(errs, err)
			} else {
				out = append(out, *c)
				claimed[n] = true
			}
			continue
		}
		if later, err := d.releasedLater(ctx, n); err != nil || later != "" {
			if err != nil {
				errs = multierror.Append(errs, err)
			} else {
				skipped = append(skipped, Skipped{Image: n, Reason: "released by " + later + " at a later commit"})
			}
			continue
		}
		r, err := version.Decide(ctx, d.repo, version.Query{
			Image:       n,
			TagTemplate: d.cfg.Release.TagTemplate,
			At:          d.commit,
			Relevant:    d.rel.of(n),
			Changed:     changed[n],
			Options:     version.Options{Initial: initial, Pre: d.opts.Pre, Override: d.opts.Versions[n]},
		})
		switch {
		case err != nil:
			errs = multierror.Append(errs, err)
		case r.Version == nil:
			skipped = append(skipped, Skipped{Image: n, Reason: r.Reason})
		default:
			out = append(out, r)
		}
	}
	return out, skipped, claimed, completions, errs.ErrorOrNil()
}

// unfinished returns the claims of image made at other commits than the
// one released whose version tag is not in the registry: releases that
// stopped after claiming (see the package documentation). Each is
// completed with the digest its claim names, whatever commit is released
// now, so that no claimed version stays unpublished because the next
// release came from a later commit.
func (d decider) unfinished(ctx context.Context, image string) ([]version.Release, error) {
	tags, err := version.Tags(ctx, d.repo, image, d.cfg.Release.TagTemplate, "")
	if err != nil {
		return nil, fmt.Errorf("release of %s: %w", image, err)
	}
	var others []version.Tagged
	for _, t := range tags {
		if t.Commit != d.commit {
			others = append(others, t)
		}
	}
	if len(others) == 0 {
		return nil, nil
	}
	img, _ := d.cfg.Image(image)
	published, err := listTags(ctx, imageref.Join(d.opts.Registry, img.Repository), d.opts.Insecure, d.registry...)
	if err != nil {
		return nil, fmt.Errorf("release of %s: %w", image, err)
	}
	var out []version.Release
	for _, t := range others {
		if published[version.OCITag(t.Version)] {
			continue
		}
		claimed, err := d.claimed(ctx, image, t)
		if err != nil {
			return nil, err
		}
		if !claimed {
			continue
		}
		rel, err := d.completion(ctx, image, t.Commit, t, tags,
			fmt.Sprintf("completing %s, claimed at %s by a release that did not finish", t.Tag, short(t.Commit)))
		if err != nil {
			return nil, err
		}
		out = append(out, rel)
	}
	return out, nil
}

// claimedHere returns the release of image that a git tag at the commit
// released has claimed with its digest (a release that stopped after its
// claim: see the package documentation), to be completed; nil when there
// is none.
func (d decider) claimedHere(ctx context.Context, image string) (*version.Release, error) {
	tags, err := version.Tags(ctx, d.repo, image, d.cfg.Release.TagTemplate, "")
	if err != nil {
		return nil, fmt.Errorf("release of %s: %w", image, err)
	}
	for i := len(tags) - 1; i >= 0; i-- {
		t := tags[i]
		if t.Commit != d.commit || !d.sameKind(t.Version) {
			continue
		}
		claimed, err := d.claimed(ctx, image, t)
		if err != nil {
			return nil, err
		}
		if !claimed {
			continue
		}
		if o := d.opts.Versions[image]; o != nil && !o.Equal(t.Version) {
			return nil, fmt.Errorf("release of %s: --version %s: this commit is already released as %s", image, o, t.Tag)
		}
		rel, err := d.completion(ctx, image, d.commit, t, tags[:i], "completing the release claimed by "+t.Tag+" at this commit")
		if err != nil {
			return nil, err
		}
		return &rel, nil
	}
	return nil, nil
}

// claimed reports whether the git tag t of image holds a claim (see the
// package documentation); a tag without one was made by hand or by an
// older gobake.
func (d decider) claimed(ctx context.Context, image string, t version.Tagged) (bool, error) {
	msg, err := d.repo.TagMessage(ctx, t.Tag)
	if err != nil {
		return false, fmt.Errorf("release of %s: %w", image, err)
	}
	return claimDigest(msg) != "", nil
}

// completion returns the release at commit that completes the claim of
// tag t, for reason: its last release is the latest final one of earlier
// (sorted by version) below t's version, its causes the commits since.
func (d decider) completion(ctx context.Context, image, commit string, t version.Tagged, earlier []version.Tagged, reason string) (version.Release, error) {
	rel := version.Release{Image: image, Commit: commit, Tag: t.Tag, OCITag: version.OCITag(t.Version)}
	rel.Version = t.Version
	rel.Reason = reason
	for j := len(earlier) - 1; j >= 0; j-- {
		if earlier[j].Version.Prerelease() == "" && earlier[j].Version.LessThan(t.Version) {
			rel.Last = &earlier[j]
			break
		}
	}
	var err error
	rel.Causes, err = d.causes(ctx, image, rel.Last, commit)
	return rel, err
}

// causes returns the commits since last (the whole history before the
// first release) up to commit that change image: the release notes of a
// claim being completed, the same as its first attempt had.
func (d decider) causes(ctx context.Context, image string, last *version.Tagged, commit string) ([]version.Cause, error) {
	since := ""
	if last != nil {
		since = last.Commit
	}
	commits, err := version.Commits(ctx, d.repo, since, commit)
	if err != nil {
		return nil, fmt.Errorf("release of %s: %w", image, err)
	}
	return version.CausesOf(commits, d.rel.of(image)), nil
}

// releasedLater returns the tag of a final release of image made at a
// commit that descends from the commit released (a later commit's release
// won the race and holds these changes), "" when there is none.
func (d decider) releasedLater(ctx context.Context, image string) (string, error) {
	tags, err := d.repo.TagsContaining(ctx, d.commit)
	if err != nil {
		return "", fmt.Errorf("release of %s: %w", image, err)
	}
	for _, t := range tags {
		v, ok, err := version.ParseTag(d.cfg.Release.TagTemplate, image, t.Name)
		if err != nil {
			return "", fmt.Errorf("release of %s: %w", image, err)
		}
		if ok && v.Prerelease() == "" && t.Commit != d.commit {
			return t.Name, nil
		}
	}
	return "", nil
}

// sameKind reports whether v is the kind of version this release makes:
// a final one, or with --pre ID an ID.N pre-release. A final release of a
// commit that has a release candidate is a new release, not its
// completion.
func (d decider) sameKind(v *semver.Version) bool {
	if d.opts.Pre == "" {
		return v.Prerelease() == ""
	}
	return strings.HasPrefix(v.Prerelease(), d.opts.Pre+".")
}

// changedSinceLast compares the inputs of each image with those recorded
// with its last release (its version tag in the registry) and returns, by
// image, why they differ; images never released, or whose last release is
// not in the registry or has no record, are left out.
func (d decider) changedSinceLast(ctx context.Context, names []string) (map[string]string, error) {
	refs := map[string]name.Reference{}
	lastTag := map[string]string{}
	for _, n := range names {
		last, err := version.Last(ctx, d.repo, n, d.cfg.Release.TagTemplate, d.commit)
		if err != nil {
			return nil, fmt.Errorf("release of %s: %w", n, err)
		}
		if last == nil {
			continue
		}
		img, _ := d.cfg.Image(n)
		ref, err := imageref.Parse(imageref.Join(d.opts.Registry, img.Repository)+":"+version.OCITag(last.Version), d.opts.Insecure)
		if err != nil {
			return nil, fmt.Errorf("release of %s: %w", n, err)
		}
		refs[n], lastTag[n] = ref, last.Tag
	}
	if len(refs) == 0 {
		return nil, nil
	}
	prev, err := state.PreviousFromRegistry(ctx, refs, layering.RemoteOptions(ctx, d.registry...)...)
	if err != nil {
		return nil, fmt.Errorf("release: last releases: %w", err)
	}
	recs := map[string]*graph.Record{}
	for n, p := range prev {
		if p.Record != nil && len(p.Record.Platforms) > 0 {
			recs[n] = p.Record
		}
	}
	out := map[string]string{}
	for _, p := range graph.Plan(d.snap, recs) {
		if recs[p.Image] != nil && p.Status == graph.StatusChanged {
			out[p.Image] = fmt.Sprintf("inputs changed since %s (%s)", lastTag[p.Image], strings.Join(p.Reasons, "; "))
		}
	}
	return out, nil
}
