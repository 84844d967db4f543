package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/gobake/gobake/internal/ciout"
	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/graph/state"
	"github.com/gobake/gobake/internal/planner"
)

type planCmd struct {
	Images      []string `arg:"" optional:"" predictor:"image" help:"Images to plan (default: all)."`
	changeFlags `embed:""`
	Registry    string `placeholder:"REGISTRY" help:"Registry the previous build was pushed to (default: gobake.yaml's or $GOBAKE_REGISTRY; without one, the OCI layout)."`
	OCILayout   string `name:"oci-layout" type:"path" placeholder:"DIR" help:"Read the previous build from the OCI layout DIR (default without a registry: .gobake/oci)."`
	JSON        bool   `name:"json" help:"Print the plan as JSON (schema/plan.schema.json)."`
	Matrix      bool   `help:"Print the step outputs matrix=<GitHub Actions job matrix, one JSON line> and changed=true|false, ready to append to $GITHUB_OUTPUT."`
	Shards      int    `placeholder:"N" help:"Make the matrix one job per shard K/M (M = N, or fewer when fewer images changed) instead of one per changed image."`
	ExitCode    bool   `help:"Exit with status 3 when an image is new or changed (0 when none is; 1 still means an error)."`
	Explain     string `placeholder:"IMAGE" predictor:"image" help:"Show every input difference of one image."`
	Insecure    bool   `help:"Reach every registry over plain HTTP."`
}

// Validate rejects conflicting flags; kong calls it after parsing.
func (c *planCmd) Validate() error {
	if c.Registry != "" && c.OCILayout != "" {
		return fmt.Errorf("--registry and --oci-layout each choose the baseline; pass one")
	}
	if c.Shards < 0 {
		return fmt.Errorf("--shards must be positive, not %d", c.Shards)
	}
	if c.Matrix && (c.JSON || c.Explain != "") {
		return fmt.Errorf("--matrix, --json and --explain each choose the output; pass one")
	}
	return nil
}

func (c *planCmd) Run(g *globals) error {
	cfg, err := config.Load(g.config, config.WithRegistry(c.Registry))
	if err != nil {
		return err
	}
	images := c.Images
	if c.Explain != "" {
		images = []string{c.Explain}
	}
	registry := cfg.Registry // --registry, else $GOBAKE_REGISTRY, else gobake.yaml
	if c.OCILayout != "" {
		registry = ""
	}
	// One look at each working tree file for both plans below.
	opts := planner.Options{Images: images, Notes: g.stderr, Hashes: planner.NewHashes(cfg)}
	base := c.baseline(cfg, registry, c.OCILayout, c.Insecure)
	// What the plan is compared with (the plan of ref's files for
	// --since, else the baseline's records) does not depend on it: both
	// are made at once. Of the two, only Previous writes notes.
	var (
		prev     map[string]*graph.Record
		builds   map[string]state.Previous
		baseline string
		prevErr  error
		done     = make(chan struct{})
	)
	go func() {
		defer close(done)
		prev, builds, baseline, prevErr = planner.Previous(g.ctx, cfg, opts, base, c.Since)
	}()
	p, err := newPlan(g, cfg, c.Insecure, compareInputs, opts)
	<-done
	if err != nil {
		return err
	}
	if prevErr != nil {
		return prevErr
	}
	cur := p.Snapshot
	planner.Complete(builds, cur)
	plans := graph.Plan(cur, prev)
	planner.MarkSameOutput(cfg.Root, plans, builds)
	if err := base.MarkRecorded(g.ctx, cfg, plans, builds); err != nil {
		return err
	}
	switch {
	case c.Explain != "":
		err = explain(g.stdout, plans[0])
	case c.Matrix:
		var outs []ciout.Output
		if outs, err = c.matrix(plans); err == nil {
			var s string
			if s, err = ciout.FormatOutputs(outs...); err == nil {
				_, err = io.WriteString(g.stdout, s)
			}
		}
	case c.JSON:
		err = writeJSON(g.stdout, graph.Report{Schema: graph.PlanSchema, Baseline: baseline, Images: plans})
	default:
		err = table(g.stdout, plans)
	}
	if err != nil {
		return err
	}
	if err := c.githubOutputs(plans, baseline); err != nil {
		return err
	}
	if build, _ := planner.Changes(plans); c.ExitCode && len(build) > 0 {
		return &exitError{code: exitChanged}
	}
	return nil
}

// table prints one line per image: name, status and reasons.
func table(w io.Writer, plans []graph.ImagePlan) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "IMAGE\tSTATUS\tREASONS")
	for _, p := range plans {
		reasons := strings.Join(p.Reasons, "; ")
		if reasons == "" {
			reasons = "-"
		}
		if p.SameOutput {
			reasons += "; " + sameOutputNote
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Image, p.Status, reasons)
	}
	return tw.Flush()
}

// sameOutputNote is what plan says of an image whose inputs changed but
// whose build of these inputs gave the previous image.
const sameOutputNote = "a build of these inputs gave the previous image: same output"

// explain prints every input difference of one image.
func explain(w io.Writer, p graph.ImagePlan) error {
	fmt.Fprintf(w, "%s: %s\n  digest:   %s\n", p.Image, p.Status, p.Digest)
	if p.Previous != "" {
		fmt.Fprintf(w, "  previous: %s\n", p.Previous)
	}
	if p.SameOutput {
		fmt.Fprintf(w, "  %s\n", sameOutputNote)
	}
	if len(p.Changes) == 0 {
		for _, r := range p.Reasons {
			fmt.Fprintf(w, "  %s\n", r)
		}
	}
	for _, c := range p.Changes {
		fmt.Fprintf(w, "  %s  [%s]\n", c.Reason, strings.Join(c.Platforms, ", "))
		fmt.Fprintf(w, "      %s\n", c.Key)
		if c.Old != "" {
			fmt.Fprintf(w, "      - %s\n", c.Old)
		}
		if c.New != "" {
			fmt.Fprintf(w, "      + %s\n", c.New)
		}
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
