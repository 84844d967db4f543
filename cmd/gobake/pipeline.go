package main

import (
	"fmt"
	"os"
	"time"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/gitinfo"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/planner"
)

// planUse is what a command does with its plan: it decides which
// templates are rendered, and so whether the git facts are needed.
type planUse int

const (
	// compareInputs is plan and affected: they read the input records,
	// which hold the templates as written. Of the templates, only the
	// tags are rendered (a tag that renders invalid is still an error).
	compareInputs planUse = iota
	// buildImages is build and run: every template is rendered, and a
	// signature's provenance names the commit and tree state.
	buildImages
)

// newPlan plans the images of cfg as every command does: bases resolved
// with the registry options (plain HTTP for every registry when
// insecure), templates seeing this process's environment and the
// repository's commit. The commit is read from git (a status of the whole
// tree) only when use renders a template that may refer to it.
func newPlan(g *globals, cfg *config.Config, insecure bool, use planUse, opts planner.Options) (*planner.Plan, error) {
	var git gitinfo.Info
	if use == buildImages || config.UsesGit(renderedTags(cfg, opts)...) {
		var err error
		if git, err = gitinfo.Read(g.ctx, cfg.Root); err != nil {
			return nil, err
		}
	}
	var err error
	if opts.Info, err = config.NewBuildInfo(os.Environ(), git, "", time.Now()); err != nil {
		return nil, fmt.Errorf("build info: %w", err)
	}
	bases := layering.NewBases(g.ctx, cfg.Root, g.registry(insecure)...)
	return planner.New(g.ctx, cfg, bases, opts)
}

// renderedTags returns the tag templates a plan of opts renders: its Tags,
// else those of every image selected (every image of cfg when the
// selection is wrong: planning reports that).
func renderedTags(cfg *config.Config, opts planner.Options) []string {
	if len(opts.Tags) > 0 {
		return opts.Tags
	}
	images, err := cfg.Select(opts.Images)
	if err != nil {
		images = cfg.Images
	}
	var tags []string
	for _, img := range images {
		tags = append(tags, img.Tags...)
	}
	return tags
}
