package resolve

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/layering"
)

// BuildAndPublish is a Builder that builds images with the layering
// orchestrator and pushes each to the registry of cfg, moving its tags.
type BuildAndPublish struct {
	Config    *config.Config
	Options   []layering.BuilderOption
	Publisher layering.Publisher
	Info      config.BuildInfo // renders the tag templates
}

// Build implements Builder.
func (b *BuildAndPublish) Build(ctx context.Context, names []string) (map[string]name.Digest, error) {
	results, err := layering.NewBuilder(b.Config, b.Options...).Build(ctx, names)
	if err != nil {
		return nil, err
	}
	out := make(map[string]name.Digest, len(results))
	for _, r := range results {
		img, err := imageNamed(b.Config, r.Name)
		if err != nil {
			return nil, err
		}
		tags, err := config.ExpandTags(img.Tags, b.Info.TemplateData(img.Name, ""))
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", img.Name, err)
		}
		d, err := b.Publisher.Publish(ctx, r, tags)
		if err != nil {
			return nil, err
		}
		out[r.Name] = d
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
	for _, n := range names {
		img, err := imageNamed(r.Config, n)
		if err != nil {
			return nil, err
		}
		tag, err := releaseTag(img, r.Info)
		if err != nil {
			return nil, err
		}
		s := strings.TrimSuffix(r.Config.Registry, "/") + "/" + img.Repository + ":" + tag
		ref, err := layering.ParseReference(s, false)
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

func imageNamed(cfg *config.Config, n string) (config.Image, error) {
	if img, ok := cfg.Image(n); ok {
		return img, nil
	}
	return config.Image{}, fmt.Errorf("no image %q in %s", n, cfg.Path)
}
