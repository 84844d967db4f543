package layering

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"golang.org/x/sync/errgroup"

	"github.com/gobake/gobake/internal/imageref"
	"github.com/gobake/gobake/internal/pingcache"
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
//
// Unless opts set a transport, the publisher's requests share one that
// pings each registry once (pingcache), not once per repository.
func NewRegistryPublisher(registry string, opts ...RegistryOption) *RegistryPublisher {
	if o := makeRegistryOptions(opts...); o.transport == nil {
		opts = append(slices.Clip(opts), WithRegistryTransport(pingcache.New(o.insecure)))
	}
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
// costs a HEAD request per tag, and one per manifest without a tag (see
// lookupHeld).
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
	h := lookupHeld(ctx, ropts, repo, r, digest, tagRefs, referrers)
	if o.observer != nil {
		progress, stop := pushProgress(o.observer, r.Name)
		defer stop() // after every push of this pusher has returned
		ropts = append(ropts, progress)
	}
	pusher, err := remote.NewPusher(ropts...)
	if err != nil {
		return fail("%w", err)
	}

	if err := p.uploadBlobs(ctx, pusher, repo, r, h.manifests); err != nil {
		return fail("%w", classifyRegistryError(registry, err))
	}
	ref := repo.Digest(digest.String())
	if !h.manifests[digest] {
		if err := pusher.Push(ctx, ref, top); err != nil {
			return fail("%w", classifyRegistryError(registry, err))
		}
	}
	for i, rf := range r.Referrers {
		d := referrers[i]
		if h.manifests[d] {
			continue
		}
		if err := pusher.Push(ctx, repo.Digest(d.String()), rf.Artifact); err != nil {
			return fail("referrer %s of %s: %w", d, rf.Subject, classifyRegistryError(registry, err))
		}
	}
	// Tags are put, without asking again, unless they name their
	// manifest already.
	for i, rf := range r.Referrers {
		if rf.FallbackTag == "" || h.names(rf.FallbackTag, referrers[i]) {
			continue
		}
		if err := pusher.Put(ctx, repo.Tag(rf.FallbackTag), rf.Artifact); err != nil {
			return fail("tag %s: %w", rf.FallbackTag, classifyRegistryError(registry, err))
		}
	}
	for _, t := range tagRefs {
		if h.names(t.TagStr(), digest) {
			continue
		}
		if err := pusher.Put(ctx, t, top); err != nil {
			return fail("tag %s: %w", t.TagStr(), classifyRegistryError(registry, err))
		}
	}
	return ref, nil
}

// held is what a repository holds, before a push, of what it will push:
// the manifests there by digest, and the manifest each tag names (of the
// tags asked about, that exist).
type held struct {
	manifests map[v1.Hash]bool
	tags      map[string]v1.Hash
}

// names reports whether tag names the manifest d.
func (h held) names(tag string, d v1.Hash) bool {
	got, ok := h.tags[tag]
	return ok && got == d
}

// lookupHeld asks repo what it holds of r, whose top manifest is top,
// tagged tags, and whose referrers have the digests referrers, with as
// few HEAD requests as it can, each round's at once:
//
//  1. top's tags: one that names top shows that top is there;
//  2. top by digest, unless a tag showed it;
//  3. each referrer's fallback tag, then by digest each referrer its tag
//     did not show. Referrers of top are not asked about when top is not
//     there: each names its subject, and Publish pushes a referrer only
//     after its subject, so none of top's was pushed (one pushed by
//     another tool is found there by the push, which asks first).
//
// A failed request counts as "not there": the push that follows reports
// what is wrong, and pushing what is there already only repeats it.
func lookupHeld(ctx context.Context, ropts []remote.Option, repo name.Repository, r Result, top v1.Hash, tags []name.Tag, referrers []v1.Hash) held {
	h := held{manifests: map[v1.Hash]bool{}, tags: map[string]v1.Hash{}}
	puller, err := remote.NewPuller(ropts...)
	if err != nil {
		return h
	}
	var mu sync.Mutex
	heads := func(refs []name.Reference, found func(ref name.Reference, d v1.Hash)) {
		var wg sync.WaitGroup
		for _, ref := range refs {
			wg.Go(func() {
				if desc, err := puller.Head(ctx, ref); err == nil {
					mu.Lock()
					found(ref, desc.Digest)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}
	byDigest := func(ref name.Reference, d v1.Hash) {
		if ref.Identifier() == d.String() {
			h.manifests[d] = true
		}
	}
	// byTag records what a tag names; a tag shows the manifest it names.
	byTag := func(ref name.Reference, d v1.Hash) {
		h.tags[ref.Identifier()] = d
		h.manifests[d] = true
	}

	tagRefs := make([]name.Reference, len(tags))
	for i, t := range tags {
		tagRefs[i] = t
	}
	heads(tagRefs, byTag)
	if !h.manifests[top] {
		heads([]name.Reference{repo.Digest(top.String())}, byDigest)
	}

	var fallback []name.Reference
	var asked []v1.Hash
	for i, rf := range r.Referrers {
		if rf.Subject == top && !h.manifests[top] {
			continue
		}
		if rf.FallbackTag != "" {
			fallback = append(fallback, repo.Tag(rf.FallbackTag))
		}
		asked = append(asked, referrers[i])
	}
	heads(fallback, byTag)
	var rest []name.Reference
	for _, d := range asked {
		if !h.manifests[d] {
			rest = append(rest, repo.Digest(d.String()))
		}
	}
	heads(rest, byDigest)
	return h
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
