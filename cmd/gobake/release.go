package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/Masterminds/semver/v3"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/planner"
	"github.com/gobake/gobake/internal/release"
	relversion "github.com/gobake/gobake/internal/release/version"
)

// releaseCmd releases the changed images: versions, push, tags, GitOps
// commit and git tags, all or nothing.
type releaseCmd struct {
	Images       []string `arg:"" optional:"" predictor:"image" help:"Images to release when changed (default: all)."`
	Registry     string   `placeholder:"REGISTRY" help:"Registry to push to, e.g. ghcr.io/acme (overrides gobake.yaml and $GOBAKE_REGISTRY)."`
	Pre          string   `placeholder:"ID" help:"Make a pre-release X.Y.Z-ID.N, e.g. --pre rc."`
	Version      []string `placeholder:"IMAGE=VERSION" help:"Release IMAGE as VERSION instead of the computed version; repeatable. With --pre rc, VERSION X.Y.Z is released as X.Y.Z-rc.N."`
	GitOpsBranch string   `name:"gitops-branch" placeholder:"NAME" help:"Push the GitOps commit to branch NAME (created from gitops.branch) instead of gitops.branch."`
	DryRun       bool     `name:"dry-run" help:"Show the plan, the versions and the GitOps diff; push nothing anywhere."`
	Output       string   `type:"path" placeholder:"FILE" help:"Write a JSON report of the release to FILE."`
	Jobs         int      `short:"j" placeholder:"N" help:"Platform images built at once (default: GOMAXPROCS)."`
	Insecure     bool     `help:"Reach every registry over plain HTTP (loopback registries always are)."`
	Shard        string   `placeholder:"K/N" help:"One of N CI jobs: build and push by digest only the images of shard K, record them in the registry; moves no tag, no GitOps, no git tag (then run --finalize)."`
	Finalize     bool     `help:"After every --shard job: release what the shards pushed (versions, claims, tags, GitOps, git tags) without building."`
	Shards       int      `placeholder:"N" help:"With --finalize: the number of shards that ran (default: the only count recorded for this commit). With --warm: the number that will run."`
	Warm         bool     `help:"Before N --shard jobs that share a Go build cache (GOCACHEPROG): compile into it the packages more than one shard needs, so they are compiled once; with --shards N. Also records the plan in the registry (gobake-release:plan-COMMIT), so that each shard plans only its own images. Builds no image, pushes no image."`
	quietFlag    `embed:""`
	sbomFlag     `embed:""`
	signFlag     `embed:""`

	versions map[string]*semver.Version
	shard    planner.Shard
}

// Validate parses --version and checks the other flags; kong calls it
// after parsing.
func (c *releaseCmd) Validate() error {
	c.versions = map[string]*semver.Version{}
	for _, s := range c.Version {
		img, v, err := relversion.ParseOverride(s)
		if err != nil {
			return err
		}
		if _, dup := c.versions[img]; dup {
			return fmt.Errorf("--version %s given twice", img)
		}
		if c.Pre != "" && v.Prerelease() != "" {
			return fmt.Errorf("--version %s is a pre-release and --pre %s would add another: give %s=%d.%d.%d to release %d.%d.%d-%s.N, or leave out --pre",
				s, c.Pre, img, v.Major(), v.Minor(), v.Patch(), v.Major(), v.Minor(), v.Patch(), c.Pre)
		}
		c.versions[img] = v
	}
	if c.Jobs < 0 {
		return fmt.Errorf("--jobs must be positive, not %d", c.Jobs)
	}
	if c.Shard != "" {
		s, err := planner.ParseShard(c.Shard)
		if err != nil {
			return fmt.Errorf("--shard: %w", err)
		}
		c.shard = s
	}
	if c.GitOpsBranch != "" && !config.ValidBranch(c.GitOpsBranch) {
		return fmt.Errorf("--gitops-branch %q is not a valid branch name", c.GitOpsBranch)
	}
	return c.signFlag.validate()
}

func (c *releaseCmd) Run(g *globals) error {
	cfg, err := config.Load(g.config, config.WithRegistry(c.Registry))
	if err != nil {
		return err
	}
	sboms, err := c.formats()
	if err != nil {
		return err
	}
	// Bars for the builds and pushes on a terminal, the release's own
	// steps on a status line under them; plain lines otherwise.
	d := c.display(g)
	defer d.finish()
	opts := release.Options{
		Images: c.Images, Insecure: c.Insecure, Pre: c.Pre, // the registry is cfg's (--registry applied)
		Versions: c.versions, GitOpsBranch: c.GitOpsBranch, DryRun: c.DryRun,
		Jobs: c.Jobs, Log: d.status(), Observer: d.observer(), SBOMFormats: sboms,
		Shard: c.shard, Finalize: c.Finalize, Shards: c.Shards, Warm: c.Warm,
		BuilderVersion: builderVersion(),
	}
	// The key signs what is pushed: a dry run, --finalize and --warm push no image.
	if !c.DryRun && !c.Finalize && !c.Warm {
		if opts.Sign, err = c.key(cfg); err != nil {
			return err
		}
	}
	rep, runErr := release.Run(g.ctx, cfg, opts)
	settleUnpushed(d, rep)
	d.finish()
	if c.Warm && runErr == nil {
		return nil // it compiled, as its progress lines say: no release to summarize or output
	}
	rep.WriteSummary(g.stderr)
	errs := []error{runErr}
	if c.Output != "" {
		errs = append(errs, rep.WriteJSON(c.Output))
	}
	if p := os.Getenv("GITHUB_OUTPUT"); p != "" {
		errs = append(errs, rep.AppendGitHubOutput(p))
	}
	if p := os.Getenv("GITHUB_STEP_SUMMARY"); p != "" {
		errs = append(errs, rep.AppendStepSummary(p))
	}
	errs = append(errs, rep.WriteReferences(g.stdout))
	if runErr != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("release failed (%d failure(s), see above)", len(rep.Errors))}
	}
	return errors.Join(errs...)
}

// settleUnpushed shows on d the images the release built but did not
// push, so that they are not taken for failed builds: those of a dry run
// or of a release that stopped before its push, and those whose build is
// their last release.
func settleUnpushed(d display, rep *release.Report) {
	for _, img := range rep.Images {
		if img.Digest != "" && !img.Pushed {
			d.settle(img.Image, img.Reference+" (not pushed)")
		}
	}
	for _, s := range rep.Skipped {
		if s.SameOutput {
			d.settle(s.Image, s.Reference+" (its last release)")
		}
	}
}
