package release

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/Masterminds/semver/v3"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/planner"
	"github.com/gobake/gobake/internal/signing"
)

// Options are the choices of one release.
type Options struct {
	Images       []string                   // images to release when changed; empty means every image
	Registry     string                     // host[:port][/prefix] to push to; default the configuration's
	Insecure     bool                       // reach every registry over plain HTTP (loopback ones always are)
	Pre          string                     // pre-release identifier ("rc"); "" for a final release
	Versions     map[string]*semver.Version // versions given outright (--version image=V), by image
	GitOpsBranch string                     // branch the GitOps commit is pushed to; "" means gitops.branch
	DryRun       bool                       // build and report, but push nothing anywhere
	SBOMFormats  []layering.SBOMFormat      // SBOMs attached to every image; nil means SPDX, empty means none
	Jobs         int                        // platform images built at once; 0 means GOMAXPROCS
	Environ      []string                   // process environment; nil means os.Environ()
	Log          io.Writer                  // progress lines; nil discards them
	Observer     layering.Observer          // events of the builds and pushes, for a progress display; nil sends none. With one, the builders write no lines to Log: the display shows them
	Shard        planner.Shard              // with N > 0: build and push by digest this shard's images and record them, nothing else (see shard.go)
	Finalize     bool                       // release what the shards built and recorded instead of building
	Shards       int                        // with Finalize: how many shards ran; 0 means the only count recorded; with Warm: how many will run
	Warm         bool                       // compile what several of Shards shards need into the Go build cache, nothing else (see warm.go)
	// Sign, when set, signs every image pushed and attaches its SLSA
	// provenance (see signing), before any tag moves or GitOps commit.
	Sign           *signing.Key
	BuilderVersion map[string]string // the provenance's builder.version
}

// check fails when o cannot make a release of cfg.
func (o Options) check(cfg *config.Config) error {
	if o.Registry == "" {
		return errors.New("release: no registry: set registry in gobake.yaml, $GOBAKE_REGISTRY or --registry")
	}
	switch {
	case o.Shard.N > 0 && o.Finalize:
		return errors.New("release: --shard and --finalize are two jobs: pass one")
	case (o.Shard.N > 0 || o.Finalize) && o.DryRun:
		return errors.New("release: --dry-run shows a whole release: pass it without --shard or --finalize")
	case o.Shards < 0:
		return fmt.Errorf("release: --shards %d: want a positive count", o.Shards)
	case o.Warm && (o.Shard.N > 0 || o.Finalize || o.DryRun):
		return errors.New("release: --warm is a step before the shards: pass it with --shards N alone")
	case o.Warm && o.Shards == 0:
		return errors.New("release: --warm needs --shards N, the number of shards that will run")
	case o.Shards > 0 && !o.Finalize && !o.Warm:
		return errors.New("release: --shards N goes with --finalize or --warm")
	}
	if _, err := cfg.Select(o.Images); err != nil {
		return err
	}
	known := func(name string) bool {
		_, ok := cfg.Image(name)
		return ok
	}
	for name := range o.Versions {
		switch {
		case !known(name):
			return fmt.Errorf("release: --version %s: no image %s in %s", name, name, cfg.Path)
		case len(o.Images) > 0 && !slices.Contains(o.Images, name):
			return fmt.Errorf("release: --version %s: image %s is not being released", name, name)
		}
	}
	return nil
}

// selected returns the images of cfg that o releases, in configuration
// order.
func (o Options) selected(cfg *config.Config) []string {
	out, _ := cfg.SelectNames(o.Images) // check has reported unknown names
	return out
}
