package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/gobake/gobake/internal/ciout"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/planner"
)

// matrix returns the step outputs matrix and changed of plans: one job
// per new or changed image, or with --shards one per shard.
func (c *planCmd) matrix(plans []graph.ImagePlan) ([]ciout.Output, error) {
	if c.Shards > 0 {
		build, _ := planner.Changes(plans)
		return ciout.MatrixOutputs(ciout.Shards(c.Shards, len(build)))
	}
	return ciout.MatrixOutputs(ciout.Matrix[graph.MatrixEntry]{Include: graph.MatrixOf(plans).Include})
}

// githubOutputs writes, on GitHub Actions, the step outputs changed,
// images (JSON array of the new and changed images) and matrix, and the
// plan as a Markdown table to the step summary.
func (c *planCmd) githubOutputs(plans []graph.ImagePlan, baseline string) error {
	files := ciout.FromEnv(os.Getenv)
	if files == (ciout.Files{}) {
		return nil
	}
	outs, err := c.matrix(plans)
	if err != nil {
		return err
	}
	build, _ := planner.Changes(plans)
	names, err := json.Marshal(append([]string{}, build...))
	if err != nil {
		return fmt.Errorf("step outputs: %w", err)
	}
	outs = append(outs, ciout.Output{Name: "images", Value: string(names)})
	return files.Write(outs, planMarkdown(plans, baseline))
}

// planMarkdown is the plan as Markdown, for a step summary or a pull
// request comment: a table of the new and changed images with their
// reasons, and the unchanged ones folded away.
func planMarkdown(plans []graph.ImagePlan, baseline string) string {
	var b strings.Builder
	build, unchanged := planner.Changes(plans)
	fmt.Fprintf(&b, "### gobake plan against `%s`\n\n", baseline)
	if len(build) == 0 {
		fmt.Fprintf(&b, "No image changed (%d unchanged).\n", len(unchanged))
		return b.String()
	}
	fmt.Fprintf(&b, "%d of %d image(s) new or changed.\n\n| Image | Status | Platforms | Reasons |\n|---|---|---|---|\n", len(build), len(plans))
	for _, p := range plans {
		if p.Status == graph.StatusUnchanged {
			continue
		}
		reasons := p.Reasons
		if p.SameOutput {
			reasons = append(reasons[:len(reasons):len(reasons)], sameOutputNote)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", ciout.Cell(p.Image), p.Status,
			ciout.Cell(strings.Join(p.Platforms, ", ")), ciout.Cell(strings.Join(reasons, "; ")))
	}
	if len(unchanged) > 0 {
		fmt.Fprintf(&b, "\n<details><summary>%d unchanged</summary>\n\n%s\n</details>\n", len(unchanged), strings.Join(unchanged, ", "))
	}
	return b.String()
}
