package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/planner"
)

type affectedCmd struct {
	Targets  []string `arg:"" name:"file|package" help:"Files, directories or import paths (a trailing /... matches the packages below)."`
	JSON     bool     `name:"json" help:"Print the images as JSON (schema/affected.schema.json)."`
	Insecure bool     `help:"Reach every registry over plain HTTP."`
}

// affectedSchema is the version of the document affected --json prints
// (schema/affected.schema.json); fields are only ever added.
const affectedSchema = 1

// affectedReport is the document affected --json prints.
type affectedReport struct {
	Schema int         `json:"schema"`
	Images []graph.Hit `json:"images"` // never null
}

func (c *affectedCmd) Run(g *globals) error {
	cfg, err := config.Load(g.config)
	if err != nil {
		return err
	}
	p, err := newPlan(g, cfg, c.Insecure, planner.Options{})
	if err != nil {
		return err
	}
	s := p.Snapshot
	targets := make([]string, len(c.Targets))
	for i, t := range c.Targets {
		targets[i] = repoRelative(cfg.Root, t)
	}
	hits := s.Affected(targets)
	if c.JSON {
		if hits == nil {
			hits = []graph.Hit{}
		}
		return writeJSON(g.stdout, affectedReport{Schema: affectedSchema, Images: hits})
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "IMAGE\tPLATFORMS")
	for _, h := range hits {
		fmt.Fprintf(tw, "%s\t%s\n", h.Image, strings.Join(h.Platforms, ", "))
	}
	return tw.Flush()
}

// repoRelative turns a target naming an existing path (relative to the
// working directory) into a slash path relative to root; anything else,
// e.g. an import path, is returned as is.
func repoRelative(root, target string) string {
	base := strings.TrimSuffix(target, "/...")
	if _, err := os.Lstat(base); err != nil && !strings.HasPrefix(base, ".") {
		return target
	}
	abs, err := filepath.Abs(base)
	if err != nil {
		return target
	}
	r, err := filepath.Rel(root, abs)
	if err != nil || strings.HasPrefix(r, "..") {
		return target
	}
	return filepath.ToSlash(r) + strings.TrimPrefix(target, base)
}
