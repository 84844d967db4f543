package main

import (
	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/planner"
)

// changeFlags choose what images are compared with, for plan and
// build --changed.
type changeFlags struct {
	Since    string `placeholder:"REF" help:"Compare with the inputs at this git ref (computed from its files as git objects when only what go list does not read differs, else from a checkout kept in gobake's cache) instead of the last published build."`
	Baseline string `default:"latest" placeholder:"TAG" help:"Tag of the previous build in the registry or OCI layout (default: ${default})."`
}

// baseline is the previous build at registry (host[:port][/prefix]) or,
// when it is empty, in the OCI layout dir (default: .gobake/oci beside
// gobake.yaml).
func (f changeFlags) baseline(cfg *config.Config, registry, dir string, insecure bool) planner.Baseline {
	if registry == "" && dir == "" {
		dir = cfg.LayoutDir()
	}
	return planner.Baseline{Registry: registry, Layout: dir, Tag: f.Baseline, Insecure: insecure}
}
