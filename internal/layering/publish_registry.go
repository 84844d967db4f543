package layering

import (
	"context"
	"fmt"

	"github.com/gobake/gobake/internal/imageref"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// RegistryPublisher pushes results to a container registry.
type RegistryPublisher struct {
	registry string
	opts     []RegistryOption
}

var _ Publisher = (*RegistryPublisher)(nil)

// NewRegistryPublisher returns a Publisher that pushes each Result to the
// repository imageref.Join(registry, Result.Repository), where registry is
// host[:port][/prefix]. Registries on the loopback interface are reached
// over plain HTTP (see imageref.Parse).
func NewRegistryPublisher(registry string, opts ...RegistryOption) *RegistryPublisher {
	return &RegistryPublisher{registry: registry, opts: opts}
}

// Publish pushes r in an order that keeps a failure from moving any tag:
//
//  1. the image or index by digest: blobs (those already in the repository
//     are skipped), then platform manifests, then the index;
//  2. each referrer (SBOM) by digest; ggcr files it under the referrers API
//     or, on registries without it, in the "sha256-<hex>" fallback index;
//  3. each referrer's cosign-style fallback tag ("sha256-<hex>.sbom");
//  4. finally tags, each a manifest PUT of the already pushed manifest.
//
// It returns registry/repository@sha256:…. Errors start with
// "push <name> (<repository>): ". Only a failure in step 4 can leave some
// tags moved and others not.
func (p *RegistryPublisher) Publish(ctx context.Context, r Result, tags []string) (name.Digest, error) {
	repoName := imageref.Join(p.registry, r.Repository)
	fail := func(format string, args ...any) (name.Digest, error) {
		return name.Digest{}, fmt.Errorf("push %s (%s): %w", r.Name, repoName, fmt.Errorf(format, args...))
	}

	o := makeRegistryOptions(p.opts...)
	repo, err := imageref.Repository(repoName, o.insecure)
	if err != nil {
		return fail("%w", err)
	}
	top, digest, err := topManifest(r)
	if err != nil {
		return fail("%w", err)
	}
	if err := checkReferrers(r); err != nil {
		return fail("%w", err)
	}
	tagRefs := make([]name.Tag, 0, len(tags))
	for _, t := range tags {
		if _, err := name.NewTag(repoName + ":" + t); err != nil {
			return fail("tag %q: %w", t, err)
		}
		tagRefs = append(tagRefs, repo.Tag(t))
	}
	for _, rf := range r.Referrers {
		if _, err := name.NewTag(repoName + ":" + rf.FallbackTag); rf.FallbackTag != "" && err != nil {
			return fail("tag %q: %w", rf.FallbackTag, err)
		}
	}
	registry := repo.RegistryStr()

	pusher, err := remote.NewPusher(o.remoteOptions(ctx)...)
	if err != nil {
		return fail("%w", err)
	}

	ref := repo.Digest(digest.String())
	if err := pusher.Push(ctx, ref, top); err != nil {
		return fail("%w", classifyRegistryError(registry, err))
	}
	for _, rf := range r.Referrers {
		d, err := rf.Artifact.Digest()
		if err != nil {
			return fail("referrer of %s: %w", rf.Subject, err)
		}
		if err := pusher.Push(ctx, repo.Digest(d.String()), rf.Artifact); err != nil {
			return fail("referrer %s of %s: %w", d, rf.Subject, classifyRegistryError(registry, err))
		}
	}
	for _, rf := range r.Referrers {
		if rf.FallbackTag == "" {
			continue
		}
		if err := pusher.Put(ctx, repo.Tag(rf.FallbackTag), rf.Artifact); err != nil {
			return fail("tag %s: %w", rf.FallbackTag, classifyRegistryError(registry, err))
		}
	}
	for _, t := range tagRefs {
		if err := pusher.Put(ctx, t, top); err != nil {
			return fail("tag %s: %w", t.TagStr(), classifyRegistryError(registry, err))
		}
	}
	return ref, nil
}
