package main

import (
	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/planner"
)

// buildTarget is where results go.
type buildTarget struct {
	publisher layering.Publisher
	registry  string               // set when pushing to a registry
	layout    string               // set when writing an OCI layout
	close     func(*globals) error // finishes the output (the tarball)
	describe  string               // for progress messages
}

// target picks the output: --tarball, else --oci-layout, else a registry
// (flag, then $GOBAKE_REGISTRY or gobake.yaml, already in cfg), else the
// OCI layout .gobake/oci next to gobake.yaml; --load before all. push is
// Skaffold's $PUSH_IMAGE: with --image, the registry is used only when it
// is true, and --load only when it is not. Registry pushes report their
// bytes to obs, when not nil.
func (c *buildCmd) target(g *globals, cfg *config.Config, push bool, obs layering.Observer) (buildTarget, error) {
	noClose := func(*globals) error { return nil }
	registry := cfg.Registry
	if c.Image != "" && !push {
		registry = ""
	}
	switch {
	case c.Load && (c.Image == "" || !push):
		eng, err := c.engine()
		if err != nil {
			return buildTarget{}, err
		}
		// Named as they would be in the registry, so that manifests and
		// Skaffold ($IMAGE) find them.
		p := layering.NewLoadPublisher(eng, layering.WithLoadRepositoryPrefix(cfg.Registry))
		return buildTarget{publisher: p, describe: eng.Name() + "'s local images",
			close: func(g *globals) error { return p.Close(g.ctx) }}, nil
	case c.Tarball != "":
		p := layering.NewTarballPublisher(c.Tarball)
		return buildTarget{publisher: p, describe: "tarball " + c.Tarball,
			close: func(g *globals) error { return p.Close(g.ctx) }}, nil
	case c.OCILayout != "":
		return buildTarget{publisher: layering.NewLayoutPublisher(c.OCILayout), layout: c.OCILayout, describe: "OCI layout " + c.OCILayout, close: noClose}, nil
	case registry != "":
		return buildTarget{
			publisher: layering.NewRegistryPublisher(registry, append(g.registry(c.Insecure), layering.WithRegistryObserver(obs))...),
			registry:  registry, describe: "registry " + registry, close: noClose,
		}, nil
	}
	dir := cfg.LayoutDir()
	return buildTarget{publisher: layering.NewLayoutPublisher(dir), layout: dir, describe: "OCI layout " + dir, close: noClose}, nil
}

// baseline is where --changed finds the previous build: the target itself.
func (c *buildCmd) baseline(cfg *config.Config, t buildTarget) planner.Baseline {
	return c.changeFlags.baseline(cfg, t.registry, t.layout, c.Insecure)
}
