package planner

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/graph/state"
	"github.com/gobake/gobake/internal/graph/synth"
	"github.com/gobake/gobake/internal/layering"
)

// historyVersion is the version every build of TestReleaseHistory renders
// its templates with: the synthetic mains do not hold it anyway.
const historyVersion = "1.0.0"

// TestReleaseHistory replays a history of realistic commits to a
// vendored synthetic monorepo (synth.History: dependency bumps some images
// link and others do not, comment-only, test-only, other-platform, data,
// go directive and ldflags edits) as gobake release would on each: plan
// against the records of the last build, build the flagged images with
// gobake's builder, ship those whose image digest differs from their last
// release, keep the records of all built; plan again after the build,
// which must say sameOutput of exactly those built and not shipped.
// Ground truth is go build -trimpath of every main at every commit, plus
// its data. What is shipped must be exactly what ground truth changed
// (recall and precision 100 %), the plan must miss nothing and flag
// nothing else but the commits that change inputs and no bytes, and its
// reasons must be exact. Every commit is also built in full, as gobake
// build does, and each image's binary must be the one go build made: the
// binaries gobake's output cache reuses by their inputs are never stale.
// About 25 CPU-seconds: go's up-to-date check relinks only the mains that
// changed.
func TestReleaseHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	_, commits, err := synth.History(dir, synth.HistorySpec())
	if err != nil {
		t.Fatal(err)
	}
	load := func() *config.Config {
		t.Helper()
		cfg, err := config.Load(filepath.Join(dir, config.FileName), config.WithGetenv(func(string) string { return "" }))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	bins := t.TempDir() // kept between commits: go build relinks only what changed
	cfg := load()
	truth := historyTruth(t, cfg, bins)
	p := historyPlan(t, ctx, cfg)
	records := p.Snapshot.Records
	released := historyBuild(t, ctx, p, nil, bins)

	var nTruth, nFlagged, nShipped, nFalse int
	for _, c := range commits {
		if err := c.Apply(dir); err != nil {
			t.Fatal(err)
		}
		cfg := load()
		now := historyTruth(t, cfg, bins)
		var changed []string
		for _, img := range slices.Sorted(maps.Keys(now)) {
			if now[img] != truth[img] {
				changed = append(changed, img)
			}
		}
		truth = now
		if diff := cmp.Diff(c.Want, changed); diff != "" {
			t.Fatalf("%s: ground truth differs from the history's expectation (-want +got):\n%s", c.Message, diff)
		}

		p := historyPlan(t, ctx, cfg)
		plans := graph.Plan(p.Snapshot, records)
		flagged, _ := Changes(plans)
		var shipped, proven []string
		// Every image is built, as a full gobake build would: the
		// unflagged ones from the binaries the output cache keeps by
		// their inputs, which must be those go build made of this commit.
		digests := historyBuild(t, ctx, p, nil, bins)
		if len(flagged) > 0 {
			// Plan again after the build, as plan would: the images the
			// build proved unchanged are flagged sameOutput.
			builds := map[string]state.Previous{}
			for img, d := range released {
				h, err := v1.NewHash(d)
				if err != nil {
					t.Fatal(err)
				}
				builds[img] = state.Previous{Digest: h}
			}
			again := graph.Plan(p.Snapshot, records)
			MarkSameOutput(dir, again, builds)
			for _, ip := range again {
				if ip.SameOutput {
					proven = append(proven, ip.Image)
				}
			}
			for _, img := range flagged {
				if digests[img] != released[img] {
					shipped = append(shipped, img)
					released[img] = digests[img]
				}
				// A release records the inputs of every image it built,
				// shipped or not, so that the next plan compares with them.
				records[img] = p.Snapshot.Records[img]
			}
		}
		slices.Sort(flagged)
		nTruth, nFlagged, nShipped = nTruth+len(changed), nFlagged+len(flagged), nShipped+len(shipped)
		t.Logf("%-55s truth %v, plan %v, shipped %v", c.Message, changed, flagged, shipped)
		var unshipped []string
		for _, img := range flagged {
			if !slices.Contains(shipped, img) {
				unshipped = append(unshipped, img)
			}
		}
		if diff := cmp.Diff(unshipped, proven); diff != "" {
			t.Errorf("%s: plan after the build: sameOutput differs from the images built but not shipped (-want +got):\n%s", c.Message, diff)
		}

		for _, img := range changed {
			if !slices.Contains(flagged, img) {
				t.Errorf("%s: miss: %s changed, the plan says unchanged", c.Message, img)
			}
		}
		for _, img := range flagged {
			if !slices.Contains(changed, img) {
				nFalse++
				if !c.SameOutput {
					t.Errorf("%s: false alarm: the plan flags %s, whose output did not change", c.Message, img)
				}
			}
		}
		if diff := cmp.Diff(changed, shipped); diff != "" {
			t.Errorf("%s: release ships other images than ground truth changed (-truth +shipped):\n%s", c.Message, diff)
		}
		if c.Reason != "" {
			for _, ip := range plans {
				if ip.Image == c.Want[0] && !slices.Contains(ip.Reasons, c.Reason) {
					t.Errorf("%s: %s: reasons %q lack %q", c.Message, ip.Image, ip.Reasons, c.Reason)
				}
			}
		}
	}
	if nTruth < 10 {
		t.Errorf("the history changed %d image outputs, want at least 10 for the replay to mean something", nTruth)
	}
	t.Logf("%d commits × %d images: %d outputs changed; plan flagged %d (%d proven unchanged by their build); release shipped %d: recall %d/%d, precision %d/%d",
		len(commits), len(truth), nTruth, nFlagged, nFalse, nShipped, nShipped, nTruth, nShipped, nShipped)
}

// historyPlan plans every image of cfg as release does.
func historyPlan(t *testing.T, ctx context.Context, cfg *config.Config) *Plan {
	t.Helper()
	p, err := New(ctx, cfg, layering.NewBases(ctx, cfg.Root), Options{Info: config.BuildInfo{Version: historyVersion}})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p
}

// historyBuild builds the images of p named (all when names is nil) with
// gobake's builder and returns the image digest of each. The binary in
// each image must be the one go build wrote to bins (historyTruth).
func historyBuild(t *testing.T, ctx context.Context, p *Plan, names []string, bins string) map[string]string {
	t.Helper()
	results, err := p.Build(ctx, layering.NewBuilder(layering.WithSBOMFormats()), names)
	if err != nil {
		t.Fatalf("build %v: %v", names, err)
	}
	out := map[string]string{}
	for _, r := range results {
		i := slices.IndexFunc(p.Targets, func(tg layering.Target) bool { return tg.Image.Name == r.Name })
		want, err := os.ReadFile(filepath.Join(bins, filepath.Base(p.Targets[i].Image.Main)))
		if err != nil {
			t.Fatal(err)
		}
		if got := imageFile(t, r.Image, path.Join(layering.AppDir, p.Targets[i].Image.Binary)); !bytes.Equal(got, want) {
			t.Errorf("%s: the binary in the image is not what go build makes of this commit", r.Name)
		}
		d, err := r.Digest()
		if err != nil {
			t.Fatal(err)
		}
		out[r.Name] = d.String()
	}
	return out
}

// imageFile returns the content of the file at abs in img's last layer.
func imageFile(t *testing.T, img v1.Image, abs string) []byte {
	t.Helper()
	layers, err := img.Layers()
	if err != nil || len(layers) == 0 {
		t.Fatalf("layers: %v", err)
	}
	rc, err := layers[len(layers)-1].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s in the last layer: %v", abs, err)
		}
		if "/"+strings.TrimPrefix(h.Name, "/") == abs {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}

// historyTruth builds every main of cfg with one go build -trimpath into
// bins (its mains are named after their images), on linux/amd64 as the
// images are, and returns, by image, a hash of its binary and data files.
func historyTruth(t *testing.T, cfg *config.Config, bins string) map[string]string {
	t.Helper()
	ldflags := ""
	var mains []string
	for _, img := range cfg.Images {
		ld := strings.ReplaceAll(strings.Join(img.Ldflags, " "), "{{.Version}}", historyVersion)
		if len(mains) > 0 && ld != ldflags {
			t.Fatalf("images with different ldflags: %q, %q", ldflags, ld)
		}
		ldflags = ld
		mains = append(mains, img.Main)
	}
	args := append([]string{"build", "-trimpath", "-buildvcs=false", "-ldflags=" + ldflags, "-o", bins + string(filepath.Separator)}, mains...)
	cmd := exec.Command("go", args...)
	cmd.Dir = cfg.Root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	out := map[string]string{}
	for _, img := range cfg.Images {
		h := sha256.New()
		b, err := os.ReadFile(filepath.Join(bins, filepath.Base(img.Main)))
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
		if img.Data != "" {
			err := filepath.WalkDir(img.Data, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(p)
				fmt.Fprintf(h, "\n%s %x", p[len(img.Data):], sha256.Sum256(b))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		out[img.Name] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}
