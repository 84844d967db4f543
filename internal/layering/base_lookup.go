package layering

import (
	"context"
	"fmt"

	"github.com/gobake/gobake/internal/config"
)

// BaseLookup answers what a Builder's base images are, resolving each
// reference at most once. One taken from a Builder (Builder.BaseLookup)
// shares that Builder's resolutions, so a digest it returns is exactly the
// one the build uses, even if a tag moves meanwhile. It is safe for
// concurrent use.
//
// A resolved base fetches its manifests and blobs lazily, with the context
// it was resolved with, and a Builder reuses it: so a BaseLookup resolves
// with the context it was made with, which must outlive the build, and not
// with the (perhaps shorter) context of each call.
type BaseLookup struct {
	ctx   context.Context
	bases *bases
}

// NewBaseLookup returns a BaseLookup that resolves bases like a Builder
// for the repository at root (oci: paths are recorded relative to it)
// would, with opts (see WithRegistryInsecure).
func NewBaseLookup(ctx context.Context, root string, opts ...RegistryOption) *BaseLookup {
	return &BaseLookup{ctx: ctx, bases: &bases{root: root, insecure: makeRegistryOptions(opts...).insecure, registry: opts}}
}

// BaseLookup returns the lookup the Builder resolves its bases with. ctx
// must last as long as the build (see BaseLookup).
func (b *Builder) BaseLookup(ctx context.Context) *BaseLookup {
	return &BaseLookup{ctx: ctx, bases: b.bases}
}

// get resolves ref with the lookup's context, returning early when ctx,
// the caller's, ends first.
func (l *BaseLookup) get(ctx context.Context, ref string) (*base, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return l.bases.get(l.ctx, ref)
}

// Digest returns the manifest digest of the base image img is built on for
// platform (os/arch[/variant]): the matching entry of a multi-platform
// base, the base itself otherwise, or "scratch" for an empty base. It is
// the digest recorded in the BaseDigestAnnotation of the built image.
func (l *BaseLookup) Digest(ctx context.Context, img config.Image, platform string) (string, error) {
	if img.BaseRef == config.Scratch {
		return config.Scratch, nil
	}
	p, err := ParsePlatform(platform)
	if err != nil {
		return "", err
	}
	b, err := l.get(ctx, img.BaseRef)
	if err != nil {
		return "", err
	}
	bi, err := b.forPlatform(p)
	if err != nil {
		return "", err
	}
	return bi.digest.String(), nil
}

// Platforms returns the platforms "all" stands for with img's base, as
// os/arch[/variant] strings, in the base's order.
func (l *BaseLookup) Platforms(ctx context.Context, img config.Image) ([]string, error) {
	b, err := l.get(ctx, img.BaseRef)
	if err != nil {
		return nil, err
	}
	ps, err := b.platforms()
	if err != nil {
		return nil, fmt.Errorf("base %s: %w", img.BaseRef, err)
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = platformString(p)
	}
	return out, nil
}
