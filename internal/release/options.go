package release

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/Masterminds/semver/v3"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/layering"
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
}

// check fails when o cannot make a release of cfg.
func (o Options) check(cfg *config.Config) error {
	if o.Registry == "" {
		return errors.New("release: no registry: set registry in gobake.yaml, $GOBAKE_REGISTRY or --registry")
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
