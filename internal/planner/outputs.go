package planner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/gobake/gobake/internal/dotdir"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/graph/state"
	"github.com/gobake/gobake/internal/layering"
)

// outputsCachePath is the outputs cache, relative to the repository root:
// for each image, the image digest that builds of given inputs gave.
const outputsCachePath = ".gobake/cache/outputs.v1"

// outputsPerImage bounds the builds the outputs cache keeps of one image.
const outputsPerImage = 32

// outputs is the outputs cache: by image, its newest builds first.
type outputs struct {
	Images map[string][]output `json:"images"`
}

// output is one build: its input digest and the digest of its image or
// index.
type output struct {
	Inputs string `json:"inputs"`
	Output string `json:"output"`
}

// readOutputs reads the outputs cache of the repository at root; a
// missing or unreadable cache is empty (it is only a cache).
func readOutputs(root string) *outputs {
	o := &outputs{Images: map[string][]output{}}
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(outputsCachePath)))
	if err == nil && json.Unmarshal(b, o) != nil || o.Images == nil {
		o.Images = map[string][]output{}
	}
	return o
}

// lookup returns the image digest a build of image with the input digest
// inputs gave; "" when none is known.
func (o *outputs) lookup(image, inputs string) string {
	for _, e := range o.Images[image] {
		if e.Inputs == inputs {
			return e.Output
		}
	}
	return ""
}

// recordOutputs adds the builds results (of the records in s) to the
// outputs cache of root, newest first. The file is replaced atomically; of
// two runs writing at once the last one wins, which a cache can afford.
func recordOutputs(root string, s *graph.Snapshot, results []layering.Result) error {
	if root == "" || len(results) == 0 {
		return nil
	}
	o := readOutputs(root)
	for _, r := range results {
		rec := s.Records[r.Name]
		d, err := r.Digest()
		if rec == nil || err != nil {
			continue
		}
		e := output{Inputs: rec.Digest, Output: d.String()}
		list := slices.DeleteFunc(o.Images[r.Name], func(x output) bool { return x.Inputs == e.Inputs })
		list = append([]output{e}, list...)
		o.Images[r.Name] = list[:min(len(list), outputsPerImage)]
	}
	b, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("outputs cache: %w", err)
	}
	path := filepath.Join(root, filepath.FromSlash(outputsCachePath))
	if err := dotdir.Prepare(path); err != nil {
		return fmt.Errorf("outputs cache: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("outputs cache: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".outputs-*")
	if err != nil {
		return fmt.Errorf("outputs cache: %w", err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("outputs cache: %w", err)
	}
	return nil
}

// MarkSameOutput sets SameOutput on every changed plan for which a build
// of exactly its inputs, recorded in the outputs cache of the repository
// at root by gobake build or release, gave the image of its previous build
// (builds, read from the baseline): its inputs changed but its output did
// not, so releasing it would ship nothing. The status stays changed: it
// is what the inputs say.
func MarkSameOutput(root string, plans []graph.ImagePlan, builds map[string]state.Previous) {
	if len(builds) == 0 {
		return
	}
	if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(outputsCachePath))); errors.Is(err, fs.ErrNotExist) {
		return
	}
	o := readOutputs(root)
	for i := range plans {
		p := &plans[i]
		prev, ok := builds[p.Image]
		if p.Status != graph.StatusChanged || !ok {
			continue
		}
		if out := o.lookup(p.Image, p.Digest); out != "" && out == prev.Digest.String() {
			p.SameOutput = true
		}
	}
}
