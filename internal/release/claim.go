package release

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/hashicorp/go-multierror"

	"github.com/gobake/gobake/internal/imageref"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/release/gitrepo"
	"github.com/gobake/gobake/internal/release/version"
)

// claimMessage is the message of the git tag that claims img's version:
// the digest it names is what a later run completes the release with.
func claimMessage(img Image) string {
	return fmt.Sprintf("%s %s\n\n%s\n", img.Image, img.Version, img.Reference)
}

// digestInMessage finds the digest of a claim message.
var digestInMessage = regexp.MustCompile(`@(sha256:[0-9a-f]{64})\b`)

// claimDigest returns the digest a claim message names, "" when none.
func claimDigest(msg string) string {
	m := digestInMessage.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	return m[1]
}

// sync makes the local tags those of the source remote: every tag fetched,
// and the whole history of a shallow clone, so that versions are decided
// from every release made anywhere. Without a remote, a shallow clone
// cannot be trusted and is refused.
func (r *run) sync(ctx context.Context) error {
	if r.remoteName != "" {
		if err := r.repo.FetchTags(ctx, r.remoteName); err != nil {
			return fmt.Errorf("release: %w", err)
		}
		return nil
	}
	shallow, err := r.repo.IsShallow(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("release: %w", err)
	case shallow:
		return errors.New("release: the repository is a shallow clone without a remote to fetch its history and tags from: clone it whole (e.g. actions/checkout with fetch-depth: 0)")
	}
	return nil
}

// adopt completes the images a git tag at this commit has claimed: they
// are not built again, their digest is the claimed one, which must be in
// the registry. The registry is asked about several images at once; every
// failure is returned and nothing is changed anywhere (adopt only reads).
func (r *run) adopt(ctx context.Context) error {
	var claimed []*Image
	for i := range r.report.Images {
		if img := &r.report.Images[i]; img.Claimed {
			claimed = append(claimed, img)
		}
	}
	logs := make(map[*Image]string, len(claimed))
	var mu sync.Mutex
	err := eachOf(claimed, registryJobs, func(img *Image) error {
		msg, err := r.repo.TagMessage(ctx, img.GitTag)
		if err != nil {
			return fmt.Errorf("release of %s: %w", img.Image, err)
		}
		img.Digest = claimDigest(msg)
		img.Reference = img.Repository + "@" + img.Digest
		img.Reused = true
		if rec := r.snap.Records[img.Image]; rec != nil && !img.Completed {
			for _, pr := range rec.Platforms {
				img.Platforms = append(img.Platforms, pr.Platform)
			}
		}
		ref, err := r.digestRef(img)
		if err != nil {
			return err
		}
		m, ok, err := layering.Manifest(ctx, ref, r.lookupOptions()...)
		img.manifest = m // the body of its tag PUTs: checkPushed and moveTags do not read it again
		var line string
		switch {
		case err != nil:
			return fmt.Errorf("release of %s: %w", img.Image, err)
		case !ok && img.Completed:
			return fmt.Errorf("release of %s: %s, claimed at %s by a release that did not finish, names %s, which is not in the registry: its version cannot be completed; push that build again, or delete the tag %s on the source remote", img.Image, img.GitTag, short(img.Commit), ref, img.GitTag)
		case !ok:
			return fmt.Errorf("release of %s: %s claims %s, which is not in the registry: push it again (gobake build) or delete the tag on the remote", img.Image, img.GitTag, ref)
		case img.Completed:
			line = fmt.Sprintf("%s %s: %s was claimed at %s as %s by a release that did not finish: completing it, not rebuilding\n", img.Image, img.Version, img.GitTag, short(img.Commit), img.Reference)
		default:
			line = fmt.Sprintf("%s %s: claimed by %s at this commit as %s: completing, not rebuilding\n", img.Image, img.Version, img.GitTag, img.Reference)
		}
		mu.Lock()
		logs[img] = line
		mu.Unlock()
		return nil
	})
	for _, img := range claimed { // in report order, whatever order the answers came in
		if line := logs[img]; line != "" {
			r.logf("%s", line)
		}
	}
	return err
}

// markNewest sets newest on every image whose version is at least every
// final version tagged for it: only those move floating tags and are
// written to the GitOps repository, so that completing an old release
// never takes a deployment back.
func (r *run) markNewest(ctx context.Context) error {
	for i := range r.report.Images {
		img := &r.report.Images[i]
		newer, err := r.newerRelease(ctx, img)
		if err != nil {
			return err
		}
		for _, o := range r.report.Images { // a completion below this release's own version
			if o.Image == img.Image && o.version.Prerelease() == "" && o.version.GreaterThan(img.version) {
				newer = o.GitTag
			}
		}
		img.newest = newer == ""
		if newer != "" {
			r.logf("%s %s: %s is newer: its floating tags and GitOps entries are left alone\n", img.Image, img.Version, newer)
		}
	}
	return nil
}

// newerRelease returns the git tag of a final version of img above its
// own, "" when there is none.
func (r *run) newerRelease(ctx context.Context, img *Image) (string, error) {
	tags, err := version.Tags(ctx, r.repo, img.Image, r.cfg.Release.TagTemplate, "")
	if err != nil {
		return "", fmt.Errorf("release of %s: %w", img.Image, err)
	}
	for _, t := range tags {
		if t.Version.Prerelease() == "" && t.Version.GreaterThan(img.version) && t.Tag != img.GitTag {
			return t.Tag, nil
		}
	}
	return "", nil
}

// settle drops the claimed images whose release is complete (the version
// tags name the claimed digest, and the GitOps repository, when there is
// one and the image is the newest, has nothing to change) into the
// skipped ones: a re-run of a finished release releases nothing.
func (r *run) settle(ctx context.Context) error {
	var claimed []int
	for i, img := range r.report.Images {
		if img.Claimed {
			claimed = append(claimed, i)
		}
	}
	complete := make([]bool, len(r.report.Images))
	err := eachOf(claimed, registryJobs, func(i int) error {
		img := &r.report.Images[i]
		ref, err := r.digestRef(img)
		if err != nil {
			return err
		}
		img.seen = map[string]string{}
		for _, t := range img.versionTags {
			d, err := tagDigest(ctx, ref.Context().Tag(t), r.lookupOptions()...)
			if err != nil {
				return fmt.Errorf("release of %s: %w", img.Image, err)
			}
			img.seen[t] = d // versionTagsToPut need not ask again
			if d != img.Digest {
				return nil
			}
		}
		complete[i] = true // each goroutine writes its own element
		return nil
	})
	if err != nil {
		return err
	}
	var done []int
	for _, i := range claimed {
		if complete[i] {
			done = append(done, i)
		}
	}
	if len(done) == 0 {
		return nil
	}
	if r.cfg.GitOps != nil {
		var updates []Image
		for _, i := range done {
			if r.report.Images[i].newest {
				updates = append(updates, r.report.Images[i])
			}
		}
		if len(updates) > 0 {
			changed, err := r.gitOpsChanges(ctx, updates)
			if err != nil {
				return err
			}
			if changed {
				return nil // the GitOps step is still to do: complete them all
			}
		}
	}
	var keep []Image
	for i, img := range r.report.Images {
		if slices.Contains(done, i) {
			at := " at this commit"
			if img.Completed {
				at = " at " + short(img.Commit) + " (completed meanwhile)"
			}
			r.report.Skipped = append(r.report.Skipped, Skipped{Image: img.Image, Reason: "released as " + img.GitTag + at})
			r.logf("%s: nothing to release (released as %s%s)\n", img.Image, img.GitTag, at)
			continue
		}
		keep = append(keep, img)
	}
	r.report.Images = append([]Image{}, keep...)
	return nil
}

// tagDigest returns the digest tag names in the registry, "" when the
// tag does not exist.
func tagDigest(ctx context.Context, tag name.Tag, opts ...layering.RegistryOption) (string, error) {
	desc, err := remote.Head(tag, layering.RemoteOptions(ctx, opts...)...)
	var terr *transport.Error
	switch {
	case err == nil:
		return desc.Digest.String(), nil
	case errors.As(err, &terr) && terr.StatusCode == 404:
		return "", nil
	}
	return "", fmt.Errorf("look up %s: %w", tag, err)
}

// listTags returns the tags of the repository repo (registry/path) in the
// registry; none when the repository does not exist yet.
func listTags(ctx context.Context, repo string, insecure bool, opts ...layering.RegistryOption) (map[string]bool, error) {
	r, err := imageref.Repository(repo, insecure)
	if err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", repo, err)
	}
	tags, err := remote.List(r, layering.RemoteOptions(ctx, opts...)...)
	var terr *transport.Error
	switch {
	case errors.As(err, &terr) && terr.StatusCode == 404:
		return map[string]bool{}, nil
	case err != nil:
		return nil, fmt.Errorf("list tags of %s: %w", repo, err)
	}
	out := make(map[string]bool, len(tags))
	for _, t := range tags {
		out[t] = true
	}
	return out, nil
}

// errLost is returned by claim when another release claimed one of the
// versions first.
var errLost = errors.New("lost the claim")

// claim claims the versions of the release: it creates the git tags of
// the images not claimed yet and pushes them to the source remote
// atomically (see the package documentation). When another release
// claimed one of them first, it returns an error wrapping errLost and
// nothing is created.
func (r *run) claim(ctx context.Context) error {
	var tags []gitrepo.NewTag
	for _, img := range r.report.Images {
		if !img.Claimed {
			tags = append(tags, gitrepo.NewTag{Name: img.GitTag, Commit: img.Commit, Message: claimMessage(img)})
		}
	}
	if err := r.repo.Claim(ctx, r.remoteName, tags); err != nil {
		if errors.Is(err, gitrepo.ErrTaken) {
			return fmt.Errorf("%w: %w", errLost, err)
		}
		return err
	}
	r.report.GitTags = []string{}
	for i := range r.report.Images {
		r.report.Images[i].Claimed = true
		if !r.report.Images[i].Completed { // another commit's claim: not this release's tag
			r.report.GitTags = append(r.report.GitTags, r.report.Images[i].GitTag)
		}
	}
	r.report.Remote = r.remoteName
	return nil
}

// versionTagsToPut returns the version tags of img still to put on its
// digest (ref): a tag that is absent is to put, one that names the digest
// is left, and one that names anything else is an error, never
// overwritten.
//
// What a tag names is asked once per attempt: reuse (before the claim)
// and settle (of a claimed image) have asked already, and their answer
// still holds here: every release that puts a version tag holds its claim
// (the git tag, created only by an atomic push that fails when it exists),
// and this one holds it now (claim succeeded, or the tag at this commit
// was adopted), so any other release that puts this tag completes this
// same claim, with the same digest. An answer older than a build (long)
// is forgotten by build, and the tag asked again here.
func (r *run) versionTagsToPut(ctx context.Context, ref name.Digest, img *Image) ([]string, error) {
	var errs *multierror.Error
	var put []string
	for _, t := range img.versionTags {
		d, known := img.seen[t]
		if !known {
			var err error
			if d, err = tagDigest(ctx, ref.Context().Tag(t), r.lookupOptions()...); err != nil {
				errs = multierror.Append(errs, fmt.Errorf("release of %s: %w", img.Image, err))
				continue
			}
		}
		switch {
		case d == img.Digest:
		case d != "":
			errs = multierror.Append(errs, fmt.Errorf("release of %s: %s:%s already names %s, not %s: a version tag is published once and never moved", img.Image, ref.Context(), t, d, img.Digest))
		default:
			put = append(put, t)
		}
	}
	return put, errs.ErrorOrNil()
}

// floating reports whether the tag template tmpl moves from release to
// release: it renders the same for two different versions (latest,
// {{.Git.Branch}}); one that renders the version is a version tag.
func floating(render func(version string) (string, error), v string) (bool, error) {
	a, err := render(v)
	if err != nil {
		return false, err
	}
	b, err := render(v + "-gobake.probe")
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(a) == strings.TrimSpace(b), nil
}
