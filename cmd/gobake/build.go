package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/planner"
	"github.com/gobake/gobake/internal/platform"
	"github.com/gobake/gobake/internal/signing"
	"github.com/google/go-containerregistry/pkg/name"
)

// buildCmd builds images and publishes them to one target.
type buildCmd struct {
	Images      []string `arg:"" optional:"" predictor:"image" help:"Images to build (default: all)."`
	Registry    string   `placeholder:"REGISTRY" help:"Registry to push to, e.g. ghcr.io/acme (overrides gobake.yaml and $GOBAKE_REGISTRY)."`
	OCILayout   string   `name:"oci-layout" type:"path" placeholder:"DIR" help:"Write the images to the OCI layout DIR instead of a registry."`
	Tarball     string   `type:"path" placeholder:"FILE" help:"Write the images to a docker-loadable tarball FILE instead of a registry."`
	Load        bool     `help:"Load the images into the local podman or docker (see --engine) instead of a registry: the host's platform only, unless --platform says otherwise. With --image, when $PUSH_IMAGE is not true. Example: gobake build api --load"`
	engineFlag  `embed:""`
	Platform    []string `placeholder:"OS/ARCH" help:"Platforms to build (os/arch[/variant] or all), repeatable or comma-separated (default: the configured ones)."`
	Tag         []string `placeholder:"TAG" help:"Tags to publish under, replacing the configured ones (templates allowed); repeatable."`
	Jobs        int      `short:"j" placeholder:"N" help:"Platform images built at once (default: GOMAXPROCS)."`
	JSON        bool     `name:"json" help:"Print a JSON document describing each image (schema/build.schema.json) instead of one reference per line."`
	Insecure    bool     `help:"Reach every registry over plain HTTP (loopback registries always are)."`
	quietFlag   `embed:""`
	sbomFlag    `embed:""`
	signFlag    `embed:""`
	Naming      string `default:"gobake" enum:"gobake,ko,bare,base-import-paths,preserve-import-paths" help:"Repository naming: gobake.yaml's, or one of ko's (${enum})."`
	Image       string `placeholder:"IMAGE" help:"Skaffold custom builder: build the image $IMAGE stands for and publish exactly IMAGE, pushed when $PUSH_IMAGE=true, else loaded into the local engine with --load, else written to .gobake/oci."`
	Changed     bool   `help:"Build only the images that are new or changed against the baseline (see gobake plan); print the others' existing references."`
	Shard       string `placeholder:"K/N" help:"One of N CI jobs: build only the images (after --changed) that shard K of N gets, balanced by their package counts."`
	changeFlags `embed:""`

	reasons map[string]string // with --changed, why each image built was: status and reasons
	shard   planner.Shard
}

// Validate rejects conflicting flags; kong calls it after parsing.
func (c *buildCmd) Validate() error {
	var targets []string
	for _, f := range []struct{ flag, value string }{
		{"--registry", c.Registry}, {"--oci-layout", c.OCILayout}, {"--tarball", c.Tarball}, {"--load", boolFlag(c.Load)},
	} {
		if f.value != "" {
			targets = append(targets, f.flag)
		}
	}
	if len(targets) > 1 {
		return fmt.Errorf("--registry, --oci-layout, --tarball and --load each choose the target; pass one, not %s", strings.Join(targets, " and "))
	}
	if c.Jobs < 0 {
		return fmt.Errorf("--jobs must be positive, not %d", c.Jobs)
	}
	for _, p := range c.Platform {
		if p == "" {
			return errors.New("--platform: empty platform")
		}
		if p == platform.All && len(c.Platform) > 1 {
			return fmt.Errorf("--platform %s cannot be combined with other platforms", platform.All)
		}
		if p != platform.All {
			if _, err := platform.Check(p); err != nil {
				return fmt.Errorf("--platform: %w", err)
			}
		}
	}
	for _, t := range c.Tag {
		if strings.TrimSpace(t) == "" {
			return errors.New("--tag: empty tag")
		}
	}
	if c.Image != "" && (len(targets) > 0 && !c.Load || len(c.Images) > 0 || len(c.Tag) > 0 || c.Changed) {
		return errors.New("--image chooses the image, its target and its tag: pass no image names, --registry, --oci-layout, --tarball, --tag or --changed with it")
	}
	if c.Changed && (c.Tarball != "" || c.Load) {
		return errors.New("--changed compares with a registry or an OCI layout, not a tarball or a container engine")
	}
	if c.Shard != "" {
		s, err := planner.ParseShard(c.Shard)
		if err != nil {
			return fmt.Errorf("--shard: %w", err)
		}
		if c.Image != "" {
			return errors.New("--image builds one image: pass no --shard with it")
		}
		c.shard = s
	}
	if c.Since != "" && !c.Changed {
		return errors.New("--since needs --changed")
	}
	if c.SignKey != "" && (c.OCILayout != "" || c.Tarball != "" || c.Load) {
		return errors.New("--sign-key signs images pushed to a registry: pass no --oci-layout, --tarball or --load with it")
	}
	return c.signFlag.validate()
}

func (c *buildCmd) Run(g *globals) error {
	cfg, err := config.Load(g.config, config.WithRegistry(c.Registry))
	if err != nil {
		return err
	}
	sel, err := c.selection(cfg)
	if err != nil {
		return err
	}
	// The display starts before the target, whose registry pushes report
	// their bytes to it; it draws nothing before the first image's event.
	d := c.display(g)
	defer d.finish()
	target, err := c.target(g, cfg, sel.push, d.observer())
	if err != nil {
		return err
	}
	var key *signing.Key
	if target.registry != "" {
		// Only images pushed to a registry are signed: a missing key
		// fails before anything is built.
		if key, err = c.key(cfg); err != nil {
			return err
		}
		if err := layering.CheckRegistry(g.ctx, target.registry, g.registry(c.Insecure)...); err != nil {
			return err
		}
	}
	sboms, err := c.formats()
	if err != nil {
		return err
	}
	plan, err := newPlan(g, cfg, c.Insecure, buildImages, planner.Options{Images: sel.names, Platforms: sel.platforms, Tags: c.Tag})
	if err != nil {
		return err
	}
	names := plan.Images()
	var kept []keptImage
	var previous map[string]string
	if c.Changed {
		if names, kept, previous, err = c.changed(g, cfg, target, plan.Snapshot, planner.Options{Images: names, Platforms: sel.platforms, Notes: g.stderr}); err != nil {
			return err
		}
	}
	if c.shard.N > 0 {
		all := names
		names = planner.InShard(plan.Snapshot, all, c.shard)
		fmt.Fprintf(g.stderr, "shard %s: %d of the %d image(s) to build: %s\n", c.shard, len(names), len(all), strings.Join(names, " "))
		if c.shard.K > 1 {
			kept = nil // the references of unchanged images are printed by shard 1
		}
	}
	var results []layering.Result
	var refs []name.Digest
	if len(names) > 0 {
		builder := layering.NewBuilder(layering.WithLogger(d.log()), layering.WithObserver(d.observer()), layering.WithJobs(c.Jobs), layering.WithSBOMFormats(sboms...))
		pub := target.publisher
		if key != nil {
			if pub, err = plan.Signed(pub, key, cfg, target.registry, builderVersion()); err != nil {
				return err
			}
		}
		// Each image is published as soon as it is built, while the next
		// ones still compile and layer.
		results, refs, err = plan.BuildAndPublish(g.ctx, builder, names, layering.ObservePublisher(pub, d.observer()), c.Jobs)
		d.finish()
		if err != nil {
			return err
		}
		if err := target.close(g); err != nil {
			return err
		}
		fmt.Fprintf(c.progress(g), "published %d image(s) to %s\n", len(results), target.describe)
	}
	return c.print(g, cfg, plan.Snapshot, results, refs, kept, sameOutput(c.progress(g), results, refs, previous))
}

// boolFlag is "set" for a flag given, "" otherwise.
func boolFlag(b bool) string {
	if b {
		return "set"
	}
	return ""
}
