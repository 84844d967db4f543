package resolve

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/imageref"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/planner"
	"github.com/gobake/gobake/internal/signing"
)

// BuildAndPublish is a Builder that runs gobake's one pipeline: it plans
// the images (planner.New), builds them with the record of their inputs
// attached and publishes each under its tags as soon as it is built
// (Plan.BuildAndPublish), as gobake build does.
type BuildAndPublish struct {
	Config    *config.Config
	Bases     *layering.Bases   // resolves base images
	Plan      planner.Options   // platforms, tags and template facts; Images is set by Build
	Builder   *layering.Builder // builds the targets
	Publisher layering.Publisher
	Jobs      int // images published at once; 0 means GOMAXPROCS
	// Sign, when set, signs each image pushed and attaches its provenance
	// (Plan.Signed), as gobake build does; BuilderVersion is the
	// provenance's builder.version.
	Sign           *signing.Key
	BuilderVersion map[string]string
}

// Build implements Builder.
func (b *BuildAndPublish) Build(ctx context.Context, names []string) (map[string]name.Digest, error) {
	opts := b.Plan
	opts.Images = names
	p, err := planner.New(ctx, b.Config, b.Bases, opts)
	if err != nil {
		return nil, err
	}
	pub := b.Publisher
	if b.Sign != nil {
		if pub, err = p.Signed(pub, b.Sign, b.Config, b.Config.Registry, b.BuilderVersion); err != nil {
			return nil, err
		}
	}
	// Each image is pushed as soon as it is built, while the others
	// still compile and layer, as gobake build does.
	results, refs, err := p.BuildAndPublish(ctx, b.Builder, nil, pub, b.Jobs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]name.Digest, len(results))
	for i, r := range results {
		out[r.Name] = refs[i]
	}
	return out, nil
}

// Released is a Builder that builds nothing: it looks up the digest the
// registry holds for each image under its release tag, "latest" when the
// image has that tag, else its first tag.
type Released struct {
	Config  *config.Config
	Info    config.BuildInfo // renders a templated first tag
	Options []layering.RegistryOption
}

// Build implements Builder.
func (r *Released) Build(ctx context.Context, names []string) (map[string]name.Digest, error) {
	if r.Config.Registry == "" {
		return nil, fmt.Errorf("--released needs a registry: set registry in gobake.yaml or $%s", config.RegistryEnv)
	}
	ropts := layering.RemoteOptions(ctx, r.Options...)
	out := make(map[string]name.Digest, len(names))
	imgs, err := r.Config.Select(names)
	if err != nil {
		return nil, err
	}
	for _, img := range imgs {
		n := img.Name
		tag, err := releaseTag(img, r.Info)
		if err != nil {
			return nil, err
		}
		s := imageref.Join(r.Config.Registry, img.Repository) + ":" + tag
		ref, err := imageref.Parse(s, false)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", n, err)
		}
		desc, err := remote.Head(ref, ropts...)
		if err != nil {
			return nil, fmt.Errorf("image %s: look up released digest of %s: %w", n, s, err)
		}
		out[n] = ref.Context().Digest(desc.Digest.String())
	}
	return out, nil
}

// releaseTag picks the tag --released looks up for img.
func releaseTag(img config.Image, info config.BuildInfo) (string, error) {
	if slices.Contains(img.Tags, config.DefaultTag) || len(img.Tags) == 0 {
		return config.DefaultTag, nil
	}
	tags, err := config.ExpandTags(img.Tags[:1], info.TemplateData(img.Name, ""))
	if err != nil {
		return "", fmt.Errorf("image %s: %w", img.Name, err)
	}
	if len(tags) == 0 {
		return "", fmt.Errorf("image %s: first tag %q renders empty; nothing to look up", img.Name, img.Tags[0])
	}
	return tags[0], nil
}
