package main

import (
	"os"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/kocompat"
)

// buildSelection is what a build builds after --naming and --image.
type buildSelection struct {
	names     []string // images to build; empty means all
	platforms []string // platforms replacing the configured ones; empty keeps them
	push      bool     // with --image: $PUSH_IMAGE
}

// selection applies --naming and, for Skaffold's custom builder, --image
// to cfg, and returns what to build.
func (c *buildCmd) selection(cfg *config.Config) (buildSelection, error) {
	sel := buildSelection{names: c.Images, platforms: c.Platform}
	if c.Load && len(sel.platforms) == 0 {
		sel.platforms = []string{hostPlatform()}
	}
	n, err := kocompat.ParseNaming(c.Naming)
	if err != nil {
		return sel, err
	}
	if n == kocompat.NamingGobake && c.Image == "" {
		return sel, nil // import paths are not needed
	}
	paths, err := kocompat.ImportPaths(cfg)
	if err != nil {
		return sel, err
	}
	if err := kocompat.ApplyNaming(cfg, n, paths); err != nil {
		return sel, err
	}
	if c.Image == "" {
		return sel, nil
	}
	t, err := kocompat.SkaffoldImage(cfg, c.Image, paths)
	if err != nil {
		return sel, err
	}
	if sel.push, err = kocompat.SkaffoldPush(os.Getenv); err != nil {
		return sel, err
	}
	if err := t.Apply(cfg, sel.push); err != nil {
		return sel, err
	}
	sel.names = []string{t.Image}
	if len(sel.platforms) == 0 {
		sel.platforms = kocompat.SkaffoldPlatforms(os.Getenv)
	}
	return sel, nil
}
