package layering

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"golang.org/x/sync/errgroup"

	"github.com/gobake/gobake/internal/imageref"
)

// RegistryPublisher pushes results to a container registry.
type RegistryPublisher struct {
	registry string
	opts     []RegistryOption
	// blobs remembers, per blob digest, the repository that first
	// uploaded it: other repositories mount it from there.
	blobs memo[v1.Hash, name.Repository]
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
//     are skipped), then platform manifests, then the index. A blob is
//     uploaded once per publisher: the images of other repositories, on
//     the same registry, mount it from the repository that uploaded it
//     (a registry that cannot mount gets it uploaded again);
//  2. each referrer (SBOM) by digest; ggcr files it under the referrers API
//     or, on registries without it, in the "sha256-<hex>" fallback index;
//  3. each referrer's cosign-style fallback tag ("sha256-<hex>.sbom");
//  4. finally tags, each a manifest PUT of the already pushed manifest.
//
// What the repository holds already is not pushed again: a manifest
// there by digest (so are its blobs, which a registry checks when a
// manifest is put) is neither uploaded nor put, and a tag that already
// names the manifest is not put, so that publishing an unchanged image
// costs a HEAD request per manifest and tag.
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
	referrers := make([]v1.Hash, len(r.Referrers))
	for i, rf := range r.Referrers {
		if _, err := name.NewTag(repoName + ":" + rf.FallbackTag); rf.FallbackTag != "" && err != nil {
			return fail("tag %q: %w", rf.FallbackTag, err)
		}
		if referrers[i], err = rf.Artifact.Digest(); err != nil {
			return fail("referrer of %s: %w", rf.Subject, err)
		}
	}
	registry := repo.RegistryStr()

	ropts := o.remoteOptions(ctx)
	present := presentManifests(ctx, ropts, repo, append([]v1.Hash{digest}, referrers...))
	if o.observer != nil {
		progress, stop := pushProgress(o.observer, r.Name)
		defer stop() // after every push of this pusher has returned
		ropts = append(ropts, progress)
	}
	pusher, err := remote.NewPusher(ropts...)
	if err != nil {
		return fail("%w", err)
	}

	if err := p.uploadBlobs(ctx, pusher, repo, r, present); err != nil {
		return fail("%w", classifyRegistryError(registry, err))
	}
	ref := repo.Digest(digest.String())
	if !present[digest] {
		if err := pusher.Push(ctx, ref, top); err != nil {
			return fail("%w", classifyRegistryError(registry, err))
		}
	}
	for i, rf := range r.Referrers {
		d := referrers[i]
		if present[d] {
			continue
		}
		if err := pusher.Push(ctx, repo.Digest(d.String()), rf.Artifact); err != nil {
			return fail("referrer %s of %s: %w", d, rf.Subject, classifyRegistryError(registry, err))
		}
	}
	// Push by tag puts the manifest unless the tag already names it.
	for _, rf := range r.Referrers {
		if rf.FallbackTag == "" {
			continue
		}
		if err := pusher.Push(ctx, repo.Tag(rf.FallbackTag), rf.Artifact); err != nil {
			return fail("tag %s: %w", rf.FallbackTag, classifyRegistryError(registry, err))
		}
	}
	for _, t := range tagRefs {
		if err := pusher.Push(ctx, t, top); err != nil {
			return fail("tag %s: %w", t.TagStr(), classifyRegistryError(registry, err))
		}
	}
	return ref, nil
}

// presentManifests returns which of digests repo holds as manifests, by
// HEAD requests made at once. A failed request counts as absent: the push
// that follows reports what is wrong.
func presentManifests(ctx context.Context, ropts []remote.Option, repo name.Repository, digests []v1.Hash) map[v1.Hash]bool {
	puller, err := remote.NewPuller(ropts...)
	if err != nil {
		return nil
	}
	var mu sync.Mutex
	present := map[v1.Hash]bool{}
	var wg sync.WaitGroup
	for _, d := range digests {
		wg.Go(func() {
			desc, err := puller.Head(ctx, repo.Digest(d.String()))
			if err == nil && desc.Digest == d {
				mu.Lock()
				present[d] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return present
}

// uploadBlobs puts every blob of r's images and referrers (layers and
// configs) into repo before their manifests are pushed: the first
// repository to need a blob uploads it, at most one upload at a time per
// blob, and the others mount it from there.
// Blobs of the manifests present in repo are left out.
func (p *RegistryPublisher) uploadBlobs(ctx context.Context, pusher *remote.Pusher, repo name.Repository, r Result, present map[v1.Hash]bool) error {
	blobs, err := resultBlobs(r, present)
	if err != nil {
		return err
	}
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(4)
	for _, l := range blobs {
		eg.Go(func() error {
			d, err := l.Digest()
			if err != nil {
				return err
			}
			from, err := p.blobs.do(d, func() (name.Repository, error) {
				return repo, pusher.Upload(ctx, repo, l)
			})
			if err != nil {
				return fmt.Errorf("blob %s: %w", d, err)
			}
			if from == repo {
				return nil
			}
			if err := pusher.Upload(ctx, repo, &remote.MountableLayer{Layer: l, Reference: from.Digest(d.String())}); err != nil {
				return fmt.Errorf("blob %s: %w", d, err)
			}
			return nil
		})
	}
	return eg.Wait()
}

// resultBlobs lists the blobs of r's images and referrers, each once:
// layers, and configs as layers of their bytes. The blobs of a manifest
// whose digest is present (the top one's: every image's) are left out.
func resultBlobs(r Result, present map[v1.Hash]bool) ([]v1.Layer, error) {
	_, top, err := topManifest(r)
	if err != nil {
		return nil, err
	}
	var imgs []v1.Image
	switch {
	case present[top]:
	case r.Image != nil:
		imgs = append(imgs, r.Image)
	case r.Index != nil:
		im, err := r.Index.IndexManifest()
		if err != nil {
			return nil, err
		}
		for _, desc := range im.Manifests {
			if !desc.MediaType.IsImage() {
				continue
			}
			img, err := r.Index.Image(desc.Digest)
			if err != nil {
				return nil, err
			}
			imgs = append(imgs, img)
		}
	}
	for _, rf := range r.Referrers {
		if d, err := rf.Artifact.Digest(); err != nil || !present[d] {
			imgs = append(imgs, rf.Artifact)
		}
	}
	seen := map[v1.Hash]bool{}
	var out []v1.Layer
	for _, img := range imgs {
		layers, err := img.Layers()
		if err != nil {
			return nil, err
		}
		m, err := img.Manifest()
		if err != nil {
			return nil, err
		}
		raw, err := img.RawConfigFile()
		if err != nil {
			return nil, err
		}
		for _, l := range append(layers, static.NewLayer(raw, m.Config.MediaType)) {
			d, err := l.Digest()
			if err != nil {
				return nil, err
			}
			if !seen[d] {
				seen[d] = true
				out = append(out, l)
			}
		}
	}
	return out, nil
}
