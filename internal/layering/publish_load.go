package layering

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gobake/gobake/internal/imageref"
	"github.com/gobake/gobake/internal/platform"
)

// Loader takes a docker-archive tarball, as `podman load` and `docker
// load` do: it calls write with the stream to write it to.
type Loader interface {
	Load(ctx context.Context, write func(io.Writer) error) error
}

// LoadPublisher collects results and loads, on Close, the image of each
// for the host's platform into a local container engine through a Loader,
// in one docker-archive stream. It is safe for concurrent use.
type LoadPublisher struct {
	loader Loader
	prefix string
	host   v1.Platform

	archive archiveRefs
}

var _ Publisher = (*LoadPublisher)(nil)

// LoadOption configures a LoadPublisher.
type LoadOption func(*LoadPublisher)

// WithLoadRepositoryPrefix names images prefix + "/" + repository (e.g.
// "ghcr.io/acme", so that they are found under the names a registry would
// give them), instead of the bare repository.
func WithLoadRepositoryPrefix(prefix string) LoadOption {
	return func(p *LoadPublisher) { p.prefix = strings.TrimSuffix(prefix, "/") }
}

// WithLoadPlatform loads the image for platform p instead of the host's
// (linux on the architecture gobake runs on).
func WithLoadPlatform(p v1.Platform) LoadOption {
	return func(lp *LoadPublisher) { lp.host = p }
}

// NewLoadPublisher returns a Publisher whose results are loaded by loader
// on Close, each under "<repository>:<tag>" for each of its tags (by
// digest, which engines load untagged, when it has none). Of a
// multi-platform result only the image for the host's platform is loaded;
// a result without one is an error. Referrers (SBOMs) are not loaded.
func NewLoadPublisher(loader Loader, opts ...LoadOption) *LoadPublisher {
	p := &LoadPublisher{loader: loader, host: v1.Platform{OS: "linux", Architecture: runtime.GOARCH}}
	for _, opt := range opts {
		opt(p)
	}
	return p
}

// Publish records the image of r to load on Close and returns
// "<repository>@sha256:…" with its digest.
func (p *LoadPublisher) Publish(ctx context.Context, r Result, tags []string) (name.Digest, error) {
	repoName := imageref.Join(p.prefix, r.Repository)
	fail := func(err error) (name.Digest, error) {
		return name.Digest{}, fmt.Errorf("load %s: %w", r.Name, err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	img, err := PlatformImage(r, p.host)
	if err != nil {
		return fail(err)
	}
	d, err := img.Digest()
	if err != nil {
		return fail(fmt.Errorf("digest: %w", err))
	}
	ref, err := name.NewDigest(repoName + "@" + d.String())
	if err != nil {
		return fail(err)
	}
	refs := map[name.Reference]v1.Image{}
	if len(tags) == 0 {
		refs[ref] = img
	}
	for _, t := range tags {
		tag, err := name.NewTag(repoName + ":" + t)
		if err != nil {
			return fail(fmt.Errorf("tag %q: %w", t, err))
		}
		refs[tag] = img
	}
	if err := p.archive.add(refs); err != nil {
		return fail(err)
	}
	return ref, nil
}

// PlatformImage returns r's image when it has a single one, else the image
// of r's index for platform want, matched as platform.Matches does.
func PlatformImage(r Result, want v1.Platform) (v1.Image, error) {
	if r.Image != nil {
		return r.Image, nil
	}
	if r.Index == nil {
		return nil, fmt.Errorf("result has neither an image nor an index")
	}
	im, err := r.Index.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("index manifest: %w", err)
	}
	var built []string
	for _, desc := range im.Manifests {
		if !desc.MediaType.IsImage() || desc.Platform == nil {
			continue
		}
		built = append(built, desc.Platform.String())
		if platform.Matches(*desc.Platform, want) {
			img, err := r.Index.Image(desc.Digest)
			if err != nil {
				return nil, fmt.Errorf("image %s: %w", desc.Digest, err)
			}
			return img, nil
		}
	}
	return nil, fmt.Errorf("no image for the platform %s among those built (%s); build it with --platform %s", want.String(), strings.Join(built, ", "), want.String())
}

// Close loads every published image in one stream. With nothing published
// it loads nothing. Publish fails after Close.
func (p *LoadPublisher) Close(ctx context.Context) error {
	return p.archive.close(ctx, func(archive func(io.Writer) error) error {
		return p.loader.Load(ctx, archive)
	})
}
