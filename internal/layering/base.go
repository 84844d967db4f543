package layering

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/imageref"
	"github.com/gobake/gobake/internal/platform"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// base is a resolved base reference: one image or an index of images.
type base struct {
	name   string        // the reference as written, for messages and the base.name annotation; "" for scratch
	local  bool          // an oci: layout, whose name is not a pullable reference: only its digest is recorded
	digest v1.Hash       // digest of the manifest the reference resolved to
	index  v1.ImageIndex // set when the reference is a multi-platform index
	image  v1.Image      // set when the reference is a single image
	images memo[v1.Hash, v1.Image]
}

// baseImage is the base of one platform image.
type baseImage struct {
	image    v1.Image
	name     string      // base name annotation, "" for scratch
	local    bool        // an oci: layout base: no base.name annotation
	digest   v1.Hash     // digest of the base image manifest
	platform v1.Platform // platform as the base describes it
}

// bases resolves base references, each at most once per run, however many
// images and platforms share it. It is safe for concurrent use.
type bases struct {
	root     string           // repository root, to record oci: paths relative to it
	insecure bool             // plain HTTP for every registry, not only loopback ones
	registry []RegistryOption // how to reach registries (see RemoteOptions)
	cache    memo[string, *base]
}

// get resolves ref: "scratch", an image reference or oci:PATH[:TAG|@DIGEST].
func (s *bases) get(ctx context.Context, ref string) (*base, error) {
	return s.cache.do(ref, func() (*base, error) {
		var (
			b   *base
			err error
		)
		switch {
		case ref == config.Scratch:
			b = &base{}
		case strings.HasPrefix(ref, config.OCIPrefix):
			b, err = s.fromLayout(ref)
		default:
			b, err = s.fromRegistry(ctx, ref)
		}
		if err != nil {
			return nil, fmt.Errorf("base %s: %w", ref, err)
		}
		return b, nil
	})
}

// fromRegistry fetches the manifest ref names.
func (s *bases) fromRegistry(ctx context.Context, ref string) (*base, error) {
	r, err := imageref.Parse(ref, s.insecure)
	if err != nil {
		return nil, err
	}
	desc, err := remote.Get(r, RemoteOptions(ctx, s.registry...)...)
	if err != nil {
		return nil, classifyRegistryError(r.Context().RegistryStr(), err)
	}
	b := &base{name: r.Name(), digest: desc.Digest}
	if desc.MediaType.IsIndex() {
		b.index, err = desc.ImageIndex()
	} else {
		b.image, err = desc.Image()
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

// fromLayout opens an OCI layout: oci:PATH[:TAG|@DIGEST].
func (s *bases) fromLayout(ref string) (*base, error) {
	r, err := config.ParseOCIRef(ref)
	if err != nil {
		return nil, err
	}
	dir, tag, digest := r.Path, r.Tag, r.Digest
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var found *v1.Descriptor
	for i, d := range im.Manifests {
		if (tag != "" && d.Annotations[AnnotationRefName] == tag) || (digest != "" && d.Digest.String() == digest) {
			found = &im.Manifests[i]
			break
		}
	}
	switch {
	case found != nil:
	case tag != "" || digest != "":
		return nil, fmt.Errorf("no entry %s%s in %s", tag, digest, dir)
	case len(im.Manifests) == 0:
		return nil, fmt.Errorf("no image in %s", dir)
	default:
		found = &im.Manifests[0]
	}
	b := &base{name: s.layoutName(dir, tag, digest), local: true, digest: found.Digest}
	if found.MediaType.IsIndex() {
		b.index, err = idx.ImageIndex(found.Digest)
	} else {
		b.image, err = idx.Image(found.Digest)
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

// layoutName records a layout base relative to the repository root, so that
// the annotation, hence the digest, is the same on every machine.
func (s *bases) layoutName(dir, tag, digest string) string {
	if rel, err := filepath.Rel(s.root, dir); err == nil && s.root != "" && !strings.HasPrefix(rel, "..") {
		dir = filepath.ToSlash(rel)
	}
	return config.OCIRef{Path: dir, Tag: tag, Digest: digest}.String()
}

// platforms lists every runnable platform of the base, for "all": the
// entries of an index except unknown/unknown ones (attestations), or the
// platform of a single image.
func (b *base) platforms() ([]v1.Platform, error) {
	switch {
	case b.index != nil:
		im, err := b.index.IndexManifest()
		if err != nil {
			return nil, err
		}
		var ps []v1.Platform
		for _, d := range im.Manifests {
			if d.Platform == nil || d.Platform.OS == "unknown" || d.Platform.Architecture == "unknown" || !d.MediaType.IsImage() {
				continue
			}
			ps = append(ps, *d.Platform)
		}
		if len(ps) == 0 {
			return nil, fmt.Errorf("index %s lists no platform", b.digest)
		}
		return ps, nil
	case b.image != nil:
		cf, err := b.image.ConfigFile()
		if err != nil {
			return nil, err
		}
		return []v1.Platform{*cf.Platform()}, nil
	}
	return nil, fmt.Errorf("platforms %q needs a multi-platform base, not scratch", platform.All)
}

// forPlatform returns the base image for p.
func (b *base) forPlatform(p v1.Platform) (baseImage, error) {
	switch {
	case b.index != nil:
		im, err := b.index.IndexManifest()
		if err != nil {
			return baseImage{}, err
		}
		for _, d := range im.Manifests {
			if d.Platform == nil || !d.MediaType.IsImage() || !platform.Matches(*d.Platform, p) {
				continue
			}
			img, err := b.images.do(d.Digest, func() (v1.Image, error) { return b.index.Image(d.Digest) })
			if err != nil {
				return baseImage{}, err
			}
			return baseImage{image: img, name: b.name, local: b.local, digest: d.Digest, platform: *d.Platform}, nil
		}
		return baseImage{}, fmt.Errorf("base %s has no %s image", b.name, platform.Format(p))
	case b.image != nil:
		cf, err := b.image.ConfigFile()
		if err != nil {
			return baseImage{}, err
		}
		if got := cf.Platform(); got == nil || !platform.Matches(*got, p) {
			return baseImage{}, fmt.Errorf("base %s is %s, not %s", b.name, platform.Format(*cf.Platform()), platform.Format(p))
		}
		return baseImage{image: b.image, name: b.name, local: b.local, digest: b.digest, platform: *cf.Platform()}, nil
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	return baseImage{image: img, platform: p}, nil
}
