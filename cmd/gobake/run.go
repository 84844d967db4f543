package main

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/engine"
	"github.com/gobake/gobake/internal/imageref"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/planner"
)

// runCmd builds one image for the host's platform, loads it into the
// local container engine and runs it there.
type runCmd struct {
	Image      string   `arg:"" predictor:"image" help:"Image to build and run (its gobake.yaml name)."`
	Args       []string `arg:"" optional:"" passthrough:"" help:"Arguments for the image's entrypoint, after --."`
	Publish    []string `short:"p" sep:"none" placeholder:"[IP:]HOST:CONTAINER" help:"Publish a container port on the host (the engine's -p); repeatable."`
	Env        []string `short:"e" sep:"none" placeholder:"KEY=VALUE" help:"Set a variable in the container (the engine's -e); repeatable."`
	RunArg     []string `name:"engine-arg" sep:"none" placeholder:"ARG" help:"Another argument for the engine's run command, e.g. --network=host; repeatable."`
	Insecure   bool     `help:"Reach every registry over plain HTTP (loopback registries always are)."`
	quietFlag  `embed:""`
	engineFlag `embed:""`
}

// Help shows examples of gobake run.
func (*runCmd) Help() string {
	return helpText("run", ""+
		"    # build api for this machine, load it into podman (or docker) and run it\n"+
		"    gobake run api\n\n"+
		"    # with arguments for its entrypoint, port 8080 published, with docker\n"+
		"    gobake run api -p 8080:8080 --engine docker -- --listen :8080\n\n"+
		"    # only the container's output\n"+
		"    gobake run api --quiet\n")
}

func (c *runCmd) Run(g *globals) error {
	eng, err := c.engine()
	if err != nil {
		return err
	}
	cfg, err := config.Load(g.config)
	if err != nil {
		return err
	}
	plan, err := newPlan(g, cfg, c.Insecure, buildImages, planner.Options{Images: []string{c.Image}, Platforms: []string{hostPlatform()}})
	if err != nil {
		return err
	}
	r, err := c.buildAndLoad(g, cfg, plan, eng)
	if err != nil {
		return err
	}
	ref, err := runRef(r, cfg.Registry)
	if err != nil {
		return fmt.Errorf("run %s: %w", c.Image, err)
	}
	var runArgs []string
	for _, p := range c.Publish {
		runArgs = append(runArgs, "-p", p)
	}
	for _, e := range c.Env {
		runArgs = append(runArgs, "-e", e)
	}
	runArgs = append(runArgs, c.RunArg...)
	fmt.Fprintf(c.progress(g), "running %s with %s\n", ref, eng.Name())
	code, err := eng.Run(g.ctx, ref, runArgs, c.entrypointArgs(), engine.IO{Stdout: g.stdout, Stderr: g.stderr})
	if err != nil {
		return err
	}
	if code != 0 {
		return &exitError{code: code}
	}
	return nil
}

// runRef is what the engine runs of the loaded result r: its first tag,
// else its image ID (the config digest, which podman and docker both
// accept).
func runRef(r layering.Result, prefix string) (string, error) {
	if len(r.Tags) > 0 {
		return imageref.Join(prefix, r.Repository) + ":" + r.Tags[0], nil
	}
	img, err := layering.PlatformImage(r, v1.Platform{OS: "linux", Architecture: hostArch()})
	if err != nil {
		return "", err
	}
	id, err := img.ConfigName()
	if err != nil {
		return "", fmt.Errorf("image ID: %w", err)
	}
	return id.String(), nil
}

// entrypointArgs are the arguments after the image, without the "--"
// before them (kong keeps it in a passthrough argument).
func (c *runCmd) entrypointArgs() []string {
	if len(c.Args) > 0 && c.Args[0] == "--" {
		return c.Args[1:]
	}
	return c.Args
}

// buildAndLoad builds the image and loads it into eng, showing progress
// as --progress says; the display is finished when it returns.
func (c *runCmd) buildAndLoad(g *globals, cfg *config.Config, plan *planner.Plan, eng engine.Engine) (layering.Result, error) {
	d := c.display(g)
	defer d.finish()
	builder := layering.NewBuilder(layering.WithLogger(d.log()), layering.WithObserver(d.observer()), layering.WithSBOMFormats())
	results, err := plan.Build(g.ctx, builder, []string{c.Image})
	if err != nil {
		return layering.Result{}, err
	}
	if len(results) != 1 {
		return layering.Result{}, fmt.Errorf("run %s: %d images built, want 1", c.Image, len(results))
	}
	r := results[0]
	p := layering.NewLoadPublisher(eng, layering.WithLoadRepositoryPrefix(cfg.Registry))
	if _, err := layering.ObservePublisher(p, d.observer()).Publish(g.ctx, r, r.Tags); err != nil {
		return layering.Result{}, err
	}
	return r, p.Close(g.ctx)
}
