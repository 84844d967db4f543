package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/gobake/gobake/internal/ciout"
	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/planner"
	"github.com/google/go-containerregistry/pkg/name"
)

// buildSchema is the version of the document build --json prints
// (schema/build.schema.json); fields are only ever added.
const buildSchema = 1

// buildReport is the document build --json prints.
type buildReport struct {
	Schema int           `json:"schema"`
	Images []buildOutput `json:"images"` // never null
}

// buildOutput is one image of --json output.
type buildOutput struct {
	Image      string   `json:"image"`
	Reference  string   `json:"reference"`
	Digest     string   `json:"digest"`
	Platforms  []string `json:"platforms"`
	Tags       []string `json:"tags"`
	SBOM       []string `json:"sbom"`                 // references of the SBOM artifacts
	Inputs     string   `json:"inputs,omitempty"`     // input digest (see gobake plan)
	Unchanged  bool     `json:"unchanged,omitempty"`  // kept by --changed: its inputs are those of the baseline's build
	SameOutput bool     `json:"sameOutput,omitempty"` // built by --changed (its inputs changed), and the build is the baseline's image
}

// print writes one reference per image, built or kept by --changed, in
// the order of gobake.yaml; or the JSON document with --json.
func (c *buildCmd) print(g *globals, cfg *config.Config, snap *graph.Snapshot, results []layering.Result, refs []name.Digest, kept []keptImage, same map[string]bool) error {
	byName := map[string]buildOutput{}
	for i, r := range results {
		o, err := describeResult(r, refs[i].String())
		if err != nil {
			return err
		}
		if rec := snap.Records[r.Name]; rec != nil {
			o.Inputs = rec.Digest
		}
		o.SameOutput = same[r.Name]
		byName[r.Name] = o
	}
	for _, k := range kept {
		_, digest, _ := strings.Cut(k.ref, "@")
		o := buildOutput{Image: k.image, Reference: k.ref, Digest: digest, Platforms: []string{}, Tags: []string{}, SBOM: []string{}, Unchanged: true}
		if rec := snap.Records[k.image]; rec != nil {
			o.Inputs = rec.Digest
			for _, p := range rec.Platforms {
				o.Platforms = append(o.Platforms, p.Platform)
			}
		}
		byName[k.image] = o
	}
	out := make([]buildOutput, 0, len(byName))
	for _, img := range cfg.Images {
		if o, ok := byName[img.Name]; ok {
			out = append(out, o)
		}
	}
	if err := c.githubOutputs(out); err != nil {
		return err
	}
	if c.JSON {
		return writeJSON(g.stdout, buildReport{Schema: buildSchema, Images: out})
	}
	for _, o := range out {
		if _, err := fmt.Fprintln(g.stdout, o.Reference); err != nil {
			return err
		}
	}
	return nil
}

// githubOutputs writes, on GitHub Actions, the step outputs refs (JSON
// array of the references printed), images (JSON array of the images
// built) and changed (whether one was), and a Markdown table of the
// images to the step summary.
func (c *buildCmd) githubOutputs(out []buildOutput) error {
	files := ciout.FromEnv(os.Getenv)
	if files == (ciout.Files{}) {
		return nil
	}
	refs, built := []string{}, []string{}
	var md strings.Builder
	md.WriteString("### gobake build\n\n")
	if len(out) == 0 {
		md.WriteString("No image.\n")
	} else {
		md.WriteString("| Image | Result | Why | Reference |\n|---|---|---|---|\n")
	}
	for _, o := range out {
		refs = append(refs, o.Reference)
		result := "built"
		switch {
		case o.Unchanged:
			result = "unchanged: kept"
		case o.SameOutput:
			result = "built: same output as the baseline"
		}
		if !o.Unchanged {
			built = append(built, o.Image)
		}
		why := c.reasons[o.Image]
		if why == "" {
			why = "-"
		}
		fmt.Fprintf(&md, "| %s | %s | %s | `%s` |\n", ciout.Cell(o.Image), result, ciout.Cell(why), ciout.Cell(o.Reference))
	}
	var outs []ciout.Output
	for _, kv := range []struct {
		name string
		v    []string
	}{{"refs", refs}, {"images", built}} {
		b, err := json.Marshal(kv.v)
		if err != nil {
			return fmt.Errorf("step outputs: %w", err)
		}
		outs = append(outs, ciout.Output{Name: kv.name, Value: string(b)})
	}
	outs = append(outs, ciout.Output{Name: "changed", Value: fmt.Sprint(len(built) > 0)})
	return files.Write(outs, md.String())
}

// describeResult is the --json element of a result published at ref.
func describeResult(r layering.Result, ref string) (buildOutput, error) {
	repo, digest, _ := strings.Cut(ref, "@")
	o := buildOutput{Image: r.Name, Reference: ref, Digest: digest, Platforms: []string{}, Tags: []string{}, SBOM: []string{}}
	ps, err := r.Platforms()
	if err != nil {
		return o, err
	}
	for _, p := range ps {
		o.Platforms = append(o.Platforms, p.String())
	}
	o.Tags = append(o.Tags, r.Tags...)
	for _, rf := range r.Referrers {
		d, err := rf.Artifact.Digest()
		if err != nil {
			return o, fmt.Errorf("referrer of %s: %w", r.Name, err)
		}
		if planner.IsInputs(rf) {
			continue
		}
		o.SBOM = append(o.SBOM, repo+"@"+d.String())
	}
	return o, nil
}
