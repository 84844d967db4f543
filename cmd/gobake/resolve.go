package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/gitinfo"
	"github.com/gobake/gobake/internal/kocompat"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/planner"
	"github.com/gobake/gobake/internal/resolve"
	"github.com/gobake/gobake/internal/scaffold"
)

// resolveFlags are shared by resolve and apply.
type resolveFlags struct {
	Filenames []string `short:"f" name:"filename" required:"" help:"YAML file, directory or - (standard input); repeatable."`
	Registry  string   `placeholder:"REGISTRY" help:"Registry the digests point into, e.g. ghcr.io/acme (overrides gobake.yaml and $GOBAKE_REGISTRY)."`
	Recursive bool     `short:"R" help:"Read directories given with -f recursively."`
	Released  bool     `help:"Build nothing: use the digest the registry holds under each image's latest tag (or first tag)."`
	Naming    string   `default:"gobake" enum:"gobake,ko,bare,base-import-paths,preserve-import-paths" help:"Repository naming: gobake.yaml's, or one of ko's (${enum})."`
	Platform  []string `help:"Platforms to build (os/arch[/variant] or all) instead of the configured ones."`
}

// resolveCmd prints YAML with image references replaced by digests.
type resolveCmd struct {
	resolveFlags `embed:""`
}

func (c *resolveCmd) Run(g *globals) error {
	return c.resolve(g, g.stdout)
}

// resolve writes the resolved YAML to out.
func (c *resolveFlags) resolve(g *globals, out io.Writer) error {
	ctx := g.ctx
	naming, err := kocompat.ParseNaming(c.Naming)
	if err != nil {
		return err
	}
	cfg, err := config.Load(g.config, config.WithRegistry(c.Registry))
	if err != nil {
		return err
	}
	paths, err := kocompat.ImportPaths(cfg)
	if err != nil {
		return err
	}
	if err := kocompat.ApplyNaming(cfg, naming, paths); err != nil {
		return err
	}
	if cfg.Registry == "" {
		return fmt.Errorf("resolve writes digests that must be pullable: set registry in %s, $%s or --registry", cfg.Path, config.RegistryEnv)
	}
	inputs, err := resolve.ReadInputs(ctx, c.Filenames, c.Recursive, os.Stdin)
	if err != nil {
		return err
	}
	index := resolve.Index{Images: paths, Mains: map[string]bool{}}
	if mains, err := scaffold.FindMains(ctx, cfg.Root); err == nil {
		for _, m := range mains {
			index.Mains[m.ImportPath] = true
		}
	} else {
		index.Mains = nil // errors will be less precise, nothing more
	}
	builder, err := c.builder(ctx, g, cfg)
	if err != nil {
		return err
	}
	r := &resolve.Resolver{Index: index, Builder: builder, Warn: g.stderr}
	return r.Resolve(ctx, inputs, out)
}

// builder returns what produces the digests: a lookup with --released,
// else gobake's pipeline: plan, build, push with the inputs record.
func (c *resolveFlags) builder(ctx context.Context, g *globals, cfg *config.Config) (resolve.Builder, error) {
	git, err := gitinfo.Read(ctx, cfg.Root)
	if err != nil {
		return nil, err
	}
	info, err := config.NewBuildInfo(os.Environ(), git, "", time.Now())
	if err != nil {
		return nil, err
	}
	if c.Released {
		return &resolve.Released{Config: cfg, Info: info}, nil
	}
	// What resolve pushes is signed as gobake build signs it (sign.key).
	key, err := signFlag{}.key(cfg)
	if err != nil {
		return nil, err
	}
	return &resolve.BuildAndPublish{
		Config:         cfg,
		Bases:          layering.NewBases(ctx, cfg.Root),
		Plan:           planner.Options{Platforms: c.Platform, Info: info},
		Builder:        layering.NewBuilder(layering.WithLogger(g.stderr)),
		Publisher:      layering.NewRegistryPublisher(cfg.Registry),
		Sign:           key,
		BuilderVersion: builderVersion(),
	}, nil
}
