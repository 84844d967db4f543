package main

import (
	"fmt"
	"path/filepath"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/layering"
)

type pruneCmd struct {
	OCILayout string `name:"oci-layout" type:"path" placeholder:"DIR" help:"Prune the OCI layout DIR (default: .gobake/oci beside gobake.yaml)."`
	DryRun    bool   `name:"dry-run" help:"List what would be removed; remove nothing."`
}

// Help shows examples of gobake prune.
func (*pruneCmd) Help() string {
	return helpText("prune", ""+
		"    # what the default layout .gobake/oci holds that no tag reaches\n"+
		"    gobake prune --dry-run\n\n"+
		"    # remove it from another layout\n"+
		"    gobake prune --oci-layout out/oci\n")
}

func (c *pruneCmd) Run(g *globals) error {
	dir := c.OCILayout
	if dir == "" {
		cfg, err := config.Load(g.config)
		if err != nil {
			return err
		}
		dir = cfg.LayoutDir()
	}
	p, err := layering.PruneLayout(g.ctx, dir, c.DryRun)
	if err != nil {
		return err
	}
	verb := "removed"
	if c.DryRun {
		verb = "would remove"
		for _, e := range p.Entries {
			fmt.Fprintf(g.stdout, "entry %s\n", e)
		}
		for _, b := range p.Blobs {
			fmt.Fprintf(g.stdout, "blob %s\n", b)
		}
		for _, t := range p.Temps {
			fmt.Fprintf(g.stdout, "temporary %s\n", filepath.FromSlash(t))
		}
	}
	_, err = fmt.Fprintf(g.stderr, "%s: %s %s (%s), %s and %s\n", dir, verb,
		countOf(len(p.Blobs), "blob", "blobs"), humanBytes(p.Bytes),
		countOf(len(p.Entries), "index.json entry", "index.json entries"), countOf(len(p.Temps), "temporary file", "temporary files"))
	return err
}

// humanBytes formats n bytes in the largest unit that keeps it above 1.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// countOf says "1 blob" or "3 blobs".
func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
