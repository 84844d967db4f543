package planner

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/layering"
)

// hashCachePath is the file hash cache, relative to the repository root.
const hashCachePath = ".gobake/cache/filehash.v1"

// Options select what Current and Since compute.
type Options struct {
	Images    []string // image names; empty means every image
	Platforms []string // replace every image's platforms (build --platform); empty keeps them
}

// Current computes the inputs of the selected images of cfg, with the file
// hash cache under the repository's .gobake directory. Base digests and
// the platforms "all" stands for come from bases: pass the BaseLookup of
// the Builder that will build the images, so that the recorded base digest
// is the one the build uses.
func Current(ctx context.Context, cfg *config.Config, opts Options, bases *layering.BaseLookup) (*graph.Snapshot, error) {
	cache := graph.OpenHashCache(filepath.Join(cfg.Root, filepath.FromSlash(hashCachePath)))
	s, err := graph.Compute(ctx, withPlatforms(cfg, opts.Platforms), graph.Options{
		Images: nilIfEmpty(opts.Images), BaseDigest: bases.Digest, Platforms: bases.Platforms, Cache: cache,
	})
	if err != nil {
		return nil, err
	}
	if err := cache.Save(); err != nil {
		return nil, fmt.Errorf("saving the file hash cache: %w", err)
	}
	return s, nil
}

// withPlatforms returns cfg with every image's platforms replaced by
// platforms, or cfg itself when there are none.
func withPlatforms(cfg *config.Config, platforms []string) *config.Config {
	if len(platforms) == 0 {
		return cfg
	}
	c := *cfg
	c.Images = make([]config.Image, len(cfg.Images))
	for i, img := range cfg.Images {
		img.Platforms = platforms
		c.Images[i] = img
	}
	return &c
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
