package graph

import "fmt"

// Status says whether an image must be rebuilt.
type Status string

// The statuses of an image in a plan.
const (
	StatusNew       Status = "new"       // no previous build is known
	StatusChanged   Status = "changed"   // some input differs from the previous build
	StatusUnchanged Status = "unchanged" // every input is the same: the build can be skipped
)

// ImagePlan is the plan for one image.
type ImagePlan struct {
	Image     string   `json:"image"`
	Status    Status   `json:"status"`
	Digest    string   `json:"digest"`             // input digest now
	Previous  string   `json:"previous,omitempty"` // input digest of the previous build
	Platforms []string `json:"platforms"`          // platforms whose inputs changed (every platform when new)
	Reasons   []string `json:"reasons"`            // the most important changes, in a few words
	Changes   []Change `json:"changes,omitempty"`  // every change (only with --explain or in JSON)
	// SameOutput: changed inputs, but a build of exactly these inputs gave
	// the previous build's image (gobake build's and release's outputs
	// cache says so), so releasing it would ship nothing.
	SameOutput bool `json:"sameOutput,omitempty"`
}

// PlanSchema is the version of the JSON that `gobake plan --json` prints.
const PlanSchema = 1

// Report is the JSON document `gobake plan --json` prints. Its schema is
// stable: fields are only ever added, and PlanSchema is bumped otherwise.
//
//	{
//	  "schema": 1,
//	  "baseline": "registry:latest" | "git:REF" | "oci:PATH",
//	  "images": [
//	    {
//	      "image": "api",
//	      "status": "new" | "changed" | "unchanged",
//	      "digest": "sha256:…",
//	      "previous": "sha256:…",          // absent when new
//	      "platforms": ["linux/amd64"],    // platforms that changed
//	      "reasons": ["internal/auth/token.go changed"],
//	      "changes": [{"key": "file:internal/auth/token.go", "old": "…", "new": "…",
//	                   "platforms": ["linux/amd64"], "reason": "…"}],
//	      "sameOutput": true               // changed, but a build of these inputs gave the previous image
//	    }
//	  ]
//	}
type Report struct {
	Schema   int         `json:"schema"`
	Baseline string      `json:"baseline"`
	Images   []ImagePlan `json:"images"`
}

// MaxReasons is how many reasons an ImagePlan carries at most.
const MaxReasons = 3

// Plan compares the records of cur with the previous records (by image
// name; a missing one means the image is new) and returns one plan per
// image of cur, sorted by name.
func Plan(cur *Snapshot, prev map[string]*Record) []ImagePlan {
	out := []ImagePlan{}
	for _, name := range cur.Images() {
		r := cur.Records[name]
		p := ImagePlan{Image: name, Digest: r.Digest, Reasons: []string{}}
		old := prev[name]
		switch {
		case old == nil:
			p.Status = StatusNew
			for _, pr := range r.Platforms {
				p.Platforms = append(p.Platforms, pr.Platform)
			}
			p.Reasons = append(p.Reasons, "no previous build")
		case len(old.Platforms) == 0 && old.Digest != r.Digest:
			p.Status = StatusChanged
			p.Previous = old.Digest
			for _, pr := range r.Platforms {
				p.Platforms = append(p.Platforms, pr.Platform)
			}
			p.Reasons = append(p.Reasons, "inputs of the previous build unknown")
		case old.Digest == r.Digest:
			p.Status = StatusUnchanged
			p.Previous = old.Digest
		default:
			p.Status = StatusChanged
			p.Previous = old.Digest
			p.Changes = Diff(old, r, func(plat, mod string) string { return cur.Via(name, plat, mod) })
			p.Platforms, p.Reasons = summarize(p.Changes, len(r.Platforms))
		}
		if p.Platforms == nil {
			p.Platforms = []string{}
		}
		out = append(out, p)
	}
	return out
}

// summarize returns the platforms touched by changes and the first
// MaxReasons reasons; a reason limited to some of the nplat platforms
// names them.
func summarize(changes []Change, nplat int) ([]string, []string) {
	plats := map[string]bool{}
	var reasons []string
	for _, c := range changes {
		for _, p := range c.Platforms {
			plats[p] = true
		}
		if len(reasons) == MaxReasons {
			continue
		}
		reason := c.Reason
		if len(c.Platforms) < nplat {
			reason += fmt.Sprintf(" (%s)", joinComma(c.Platforms))
		}
		reasons = append(reasons, reason)
	}
	if len(changes) > MaxReasons {
		reasons = append(reasons, fmt.Sprintf("and %d more", len(changes)-MaxReasons))
	}
	if len(changes) == 0 {
		reasons = append(reasons, "input digest differs")
	}
	return sortedKeys(plats), reasons
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

// Matrix is a GitHub Actions job matrix: {"include":[{"image":"api"},…]}.
type Matrix struct {
	Include []MatrixEntry `json:"include"`
}

// MatrixEntry is one job of a Matrix.
type MatrixEntry struct {
	Image     string   `json:"image"`
	Platforms []string `json:"platforms"`
}

// MatrixOf returns the matrix of the new and changed images of plans.
func MatrixOf(plans []ImagePlan) Matrix {
	m := Matrix{Include: []MatrixEntry{}}
	for _, p := range plans {
		if p.Status != StatusUnchanged {
			m.Include = append(m.Include, MatrixEntry{Image: p.Image, Platforms: p.Platforms})
		}
	}
	return m
}
