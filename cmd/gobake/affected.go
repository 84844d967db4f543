package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/planner"
)

type affectedCmd struct {
	Targets  []string `arg:"" optional:"" name:"file|package" help:"Files, directories or import paths (a trailing /... matches the packages below); none or - reads them from standard input, one per line. Deleted files count: they match the images they fed."`
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
	p, err := newPlan(g, cfg, c.Insecure, compareInputs, planner.Options{})
	if err != nil {
		return err
	}
	s := p.Snapshot
	args := c.Targets
	if len(args) == 0 || len(args) == 1 && args[0] == "-" {
		if args, err = readLines(g.stdin); err != nil {
			return fmt.Errorf("read the targets from standard input: %w", err)
		}
	}
	targets := make([]string, len(args))
	for i, t := range args {
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

// readLines returns the non-blank lines of r, trimmed.
func readLines(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out, sc.Err()
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
