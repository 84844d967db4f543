package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/gitinfo"
	"github.com/gobake/gobake/internal/layering"
)

// buildCmd builds images and publishes them to one target.
type buildCmd struct {
	Images    []string `arg:"" optional:"" help:"Images to build (default: all)."`
	Registry  string   `placeholder:"REGISTRY" help:"Registry to push to, e.g. ghcr.io/acme (overrides gobake.yaml and $GOBAKE_REGISTRY)."`
	OCILayout string   `name:"oci-layout" type:"path" placeholder:"DIR" help:"Write the images to the OCI layout DIR instead of a registry."`
	Tarball   string   `type:"path" placeholder:"FILE" help:"Write the images to a docker-loadable tarball FILE instead of a registry."`
	Platform  []string `placeholder:"OS/ARCH" help:"Platforms to build (os/arch[/variant] or all), repeatable or comma-separated (default: the configured ones)."`
	Tag       []string `placeholder:"TAG" help:"Tags to publish under, replacing the configured ones (templates allowed); repeatable."`
	Jobs      int      `short:"j" placeholder:"N" help:"Platform images built at once (default: GOMAXPROCS)."`
	JSON      bool     `name:"json" help:"Print a JSON array describing each image instead of one reference per line."`
	Insecure  bool     `help:"Reach every registry over plain HTTP (loopback registries always are)."`
	SBOM      string   `name:"sbom" default:"spdx" enum:"spdx,cyclonedx,none" help:"SBOM attached to each image: ${enum}."`
}

// Validate rejects conflicting flags; kong calls it after parsing.
func (c *buildCmd) Validate() error {
	var targets []string
	for _, f := range []struct{ flag, value string }{
		{"--registry", c.Registry}, {"--oci-layout", c.OCILayout}, {"--tarball", c.Tarball},
	} {
		if f.value != "" {
			targets = append(targets, f.flag)
		}
	}
	if len(targets) > 1 {
		return fmt.Errorf("--registry, --oci-layout and --tarball each choose the target; pass one, not %s", strings.Join(targets, " and "))
	}
	if c.Jobs < 0 {
		return fmt.Errorf("--jobs must be positive, not %d", c.Jobs)
	}
	for _, p := range c.Platform {
		if p == "" {
			return errors.New("--platform: empty platform")
		}
		if p == layering.AllPlatforms && len(c.Platform) > 1 {
			return fmt.Errorf("--platform %s cannot be combined with other platforms", layering.AllPlatforms)
		}
	}
	for _, t := range c.Tag {
		if strings.TrimSpace(t) == "" {
			return errors.New("--tag: empty tag")
		}
	}
	return nil
}

// buildTarget is where results go.
type buildTarget struct {
	publisher layering.Publisher
	registry  string               // set when pushing to a registry
	close     func(*globals) error // finishes the output (the tarball)
	describe  string               // for progress messages
}

func (c *buildCmd) Run(g *globals) error {
	cfg, err := config.Load(g.config)
	if err != nil {
		return err
	}
	git, err := gitinfo.Read(g.ctx, cfg.Root)
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	target := c.target(cfg)
	if target.registry != "" {
		if err := layering.CheckRegistry(g.ctx, target.registry, layering.WithRegistryInsecure(c.Insecure)); err != nil {
			return err
		}
	}
	opts := []layering.BuilderOption{
		layering.WithPlatforms(c.Platform...),
		layering.WithTags(c.Tag...),
		layering.WithGitInfo(git),
		layering.WithInsecure(c.Insecure),
		layering.WithLogger(g.stderr),
		layering.WithJobs(c.Jobs),
	}
	if c.SBOM == "none" {
		opts = append(opts, layering.WithSBOMFormats())
	} else {
		f, err := layering.ParseSBOMFormat(c.SBOM)
		if err != nil {
			return err
		}
		opts = append(opts, layering.WithSBOMFormats(f))
	}
	results, err := layering.NewBuilder(cfg, opts...).Build(g.ctx, c.Images)
	if err != nil {
		return err
	}
	refs, err := c.publish(g, target, results)
	if err != nil {
		return err
	}
	return c.print(g, results, refs)
}

// target picks the output: --tarball, else --oci-layout, else a registry
// (flag, then $GOBAKE_REGISTRY or gobake.yaml), else the OCI layout
// .gobake/oci next to gobake.yaml.
func (c *buildCmd) target(cfg *config.Config) buildTarget {
	noClose := func(*globals) error { return nil }
	registry := cfg.Registry // Load applied $GOBAKE_REGISTRY
	if c.Registry != "" {
		registry = c.Registry
	}
	switch {
	case c.Tarball != "":
		p := layering.NewTarballPublisher(c.Tarball)
		return buildTarget{publisher: p, describe: "tarball " + c.Tarball,
			close: func(g *globals) error { return p.Close(g.ctx) }}
	case c.OCILayout != "":
		return buildTarget{publisher: layering.NewLayoutPublisher(c.OCILayout), describe: "OCI layout " + c.OCILayout, close: noClose}
	case registry != "":
		return buildTarget{
			publisher: layering.NewRegistryPublisher(registry, layering.WithRegistryInsecure(c.Insecure)),
			registry:  registry, describe: "registry " + registry, close: noClose,
		}
	}
	dir := filepath.Join(cfg.Root, filepath.FromSlash(config.DefaultLayoutDir))
	return buildTarget{publisher: layering.NewLayoutPublisher(dir), describe: "OCI layout " + dir, close: noClose}
}

// publish stores every result, several at once. It stops at the first
// failure and returns only it, so that one unreachable target gives one
// line.
func (c *buildCmd) publish(g *globals, t buildTarget, results []layering.Result) ([]string, error) {
	refs := make([]string, len(results))
	eg, ctx := errgroup.WithContext(g.ctx)
	jobs := c.Jobs
	if jobs == 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	eg.SetLimit(jobs)
	for i, r := range results {
		eg.Go(func() error {
			d, err := t.publisher.Publish(ctx, r, r.Tags)
			if err != nil {
				return err
			}
			refs[i] = d.String()
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	if err := t.close(g); err != nil {
		return nil, err
	}
	fmt.Fprintf(g.stderr, "published %d image(s) to %s\n", len(results), t.describe)
	return refs, nil
}

// buildOutput is one element of --json output.
type buildOutput struct {
	Image     string   `json:"image"`
	Reference string   `json:"reference"`
	Digest    string   `json:"digest"`
	Platforms []string `json:"platforms"`
	Tags      []string `json:"tags"`
	SBOM      []string `json:"sbom"` // references of the SBOM artifacts
}

// print writes one reference per line, or the JSON array with --json.
func (c *buildCmd) print(g *globals, results []layering.Result, refs []string) error {
	if !c.JSON {
		for _, ref := range refs {
			if _, err := fmt.Fprintln(g.stdout, ref); err != nil {
				return err
			}
		}
		return nil
	}
	out := make([]buildOutput, 0, len(results))
	for i, r := range results {
		repo, digest, _ := strings.Cut(refs[i], "@")
		o := buildOutput{Image: r.Name, Reference: refs[i], Digest: digest, Platforms: []string{}, Tags: []string{}, SBOM: []string{}}
		ps, err := r.Platforms()
		if err != nil {
			return err
		}
		for _, p := range ps {
			o.Platforms = append(o.Platforms, p.String())
		}
		o.Tags = append(o.Tags, r.Tags...)
		for _, rf := range r.Referrers {
			d, err := rf.Artifact.Digest()
			if err != nil {
				return fmt.Errorf("SBOM of %s: %w", r.Name, err)
			}
			o.SBOM = append(o.SBOM, repo+"@"+d.String())
		}
		out = append(out, o)
	}
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
