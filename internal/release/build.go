package release

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/hashicorp/go-multierror"

	"github.com/gobake/gobake/internal/graph/state"
	"github.com/gobake/gobake/internal/imageref"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/planner"
	"github.com/gobake/gobake/internal/release/version"
)

// reuse marks the images whose version tag already names a build of the
// same inputs (a release that failed after moving tags): they are neither
// built nor pushed again.
func (r *run) reuse(ctx context.Context) error {
	refs := map[string]name.Reference{}
	for _, img := range r.report.Images {
		if img.Claimed {
			continue // see adopt
		}
		ref, err := imageref.Parse(img.Repository+":"+img.ociTag, r.opts.Insecure)
		if err != nil {
			return fmt.Errorf("release of %s: %w", img.Image, err)
		}
		refs[img.Image] = ref
	}
	prev, err := state.PreviousFromRegistry(ctx, refs, layering.RemoteOptions(ctx, r.lookupOptions()...)...)
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	for i := range r.report.Images {
		img := &r.report.Images[i]
		if img.Claimed {
			continue
		}
		p, ok := prev[img.Image]
		// The answer also says what the version tag names before the
		// claim: versionTagsToPut need not ask again (see there).
		img.seen = map[string]string{img.ociTag: ""}
		if ok {
			img.seen[img.ociTag] = p.Digest.String()
		}
		if !ok || p.Record == nil || p.Record.Digest == "" || p.Record.Digest != img.Inputs {
			continue
		}
		img.Reused = true
		img.Digest = p.Digest.String()
		img.Reference = img.Repository + "@" + img.Digest
		if rec := r.snap.Records[img.Image]; rec != nil {
			for _, pr := range rec.Platforms {
				img.Platforms = append(img.Platforms, pr.Platform)
			}
		}
		r.logf("%s %s: already in the registry as %s: not rebuilding\n", img.Image, img.Version, img.Reference)
	}
	return nil
}

// build builds every image not reused nor already built with its version
// by a lost attempt, each as its version, with the plan's targets: every
// result carries the record of its inputs. Every failure is returned.
func (r *run) build(ctx context.Context) error {
	versions := map[string]string{}
	var names []string
	var errs *multierror.Error
	for i := range r.report.Images {
		img := &r.report.Images[i]
		if img.Reused {
			continue
		}
		if res, ok := r.results[img.Image]; ok && r.built[img.Image] == img.Version {
			if err := r.describe(res); err != nil { // built by a lost attempt, with this version
				return err
			}
			continue
		}
		if err := r.targets.SetVersion(img.Image, img.Version); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("release of %s: %w", img.Image, err))
			continue
		}
		versions[img.Image] = img.Version
		names = append(names, img.Image)
		img.seen = nil // a build takes long: its version tags are looked up again after it
	}
	if errs != nil {
		return errs
	}
	if len(names) == 0 {
		return nil
	}
	results, err := r.targets.Build(ctx, layering.NewBuilder(r.builderOptions()...), names)
	if err != nil {
		errs = multierror.Append(errs, err)
	}
	for _, res := range results {
		if err := r.describe(res); err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		r.results[res.Name], r.built[res.Name] = res, versions[res.Name]
	}
	return errs.ErrorOrNil()
}

// sameOutput drops the images whose build is the very image of their last
// release into the skipped ones: their inputs changed (ldflags split
// otherwise, a module bump they do not link) but not their binary, data or config, so
// there is nothing to ship: no version, no tags, no GitOps change. Outside
// a dry run, the inputs record of this build is pushed as the newest of
// that image (its fallback tag), so that plan then says unchanged. Images
// completing a claim, reused from the registry, first releases and those
// given --version are kept.
func (r *run) sameOutput(ctx context.Context) error {
	var keep []Image
	for _, img := range r.report.Images {
		if img.Claimed || img.Reused || img.last == nil || img.Digest == "" || r.opts.Versions[img.Image] != nil {
			keep = append(keep, img)
			continue
		}
		last, err := r.releasedDigest(ctx, img)
		if err != nil {
			return err
		}
		if last != img.Digest {
			keep = append(keep, img)
			continue
		}
		if !r.opts.DryRun {
			if err := r.recordInputs(ctx, img); err != nil {
				return err
			}
		}
		r.same = append(r.same, img)
		reason := fmt.Sprintf("built output equals its last release %s (%s)", img.last.Tag, last)
		r.report.Skipped = append(r.report.Skipped, Skipped{Image: img.Image, Reason: reason, SameOutput: true, Reference: img.Repository + "@" + last})
		r.logf("%s: nothing to release (%s)\n", img.Image, reason)
	}
	r.report.Images = append([]Image{}, keep...)
	return nil
}

// recordInputs pushes the inputs record of img's build, whose image the
// registry already holds, as the newest record of that image.
func (r *run) recordInputs(ctx context.Context, img Image) error {
	res, ok := r.results[img.Image]
	if !ok {
		return nil
	}
	var inputs []layering.Referrer
	for _, rf := range res.Referrers {
		if planner.IsInputs(rf) {
			inputs = append(inputs, rf)
		}
	}
	res.Referrers, res.Tags = inputs, nil
	if _, err := layering.NewRegistryPublisher(r.opts.Registry, r.registryOptions()...).Publish(ctx, res, nil); err != nil {
		return fmt.Errorf("release of %s: recording its inputs with %s: %w", img.Image, img.last.Tag, err)
	}
	return nil
}

// releasedDigest returns the digest of img's last release: the one its
// claim names, or for a release made without a claim (by hand or an older
// gobake) the one its version tag names in the registry; "" when unknown.
func (r *run) releasedDigest(ctx context.Context, img Image) (string, error) {
	msg, err := r.repo.TagMessage(ctx, img.last.Tag)
	if err != nil {
		return "", fmt.Errorf("release of %s: %w", img.Image, err)
	}
	if d := claimDigest(msg); d != "" {
		return d, nil
	}
	ref, err := imageref.Parse(img.Repository+":"+version.OCITag(img.last.Version), r.opts.Insecure)
	if err != nil {
		return "", fmt.Errorf("release of %s: %w", img.Image, err)
	}
	d, err := tagDigest(ctx, ref.Context().Tag(version.OCITag(img.last.Version)), r.lookupOptions()...)
	if err != nil {
		return "", fmt.Errorf("release of %s: %w", img.Image, err)
	}
	return d, nil
}

// describe fills in the digest, platforms and SBOM references of the
// image built as res.
func (r *run) describe(res layering.Result) error {
	i := slices.IndexFunc(r.report.Images, func(img Image) bool { return img.Image == res.Name && !img.Completed })
	if i < 0 {
		return fmt.Errorf("release: built %s, which is not being released", res.Name)
	}
	img := &r.report.Images[i]
	d, err := res.Digest()
	if err != nil {
		return fmt.Errorf("release of %s: %w", res.Name, err)
	}
	img.Digest = d.String()
	img.Reference = img.Repository + "@" + img.Digest
	ps, err := res.Platforms()
	if err != nil {
		return fmt.Errorf("release of %s: %w", res.Name, err)
	}
	for _, p := range ps {
		img.Platforms = append(img.Platforms, p.String())
	}
	for _, rf := range res.Referrers {
		if planner.IsInputs(rf) {
			continue
		}
		ad, err := rf.Artifact.Digest()
		if err != nil {
			return fmt.Errorf("release of %s: SBOM: %w", res.Name, err)
		}
		img.SBOM = append(img.SBOM, img.Repository+"@"+ad.String())
	}
	return nil
}
