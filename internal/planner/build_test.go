package planner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/layering"
)

// publishLog is a Publisher that records results and signals each publish.
type publishLog struct {
	layering.Publisher
	mu        sync.Mutex
	published map[string]chan struct{}
}

func (p *publishLog) Publish(ctx context.Context, r layering.Result, tags []string) (name.Digest, error) {
	d, err := p.Publisher.Publish(ctx, r, tags)
	if err == nil {
		p.mu.Lock()
		close(p.published[r.Name])
		p.mu.Unlock()
	}
	return d, err
}

// TestBuildAndPublishOverlaps builds two images whose second compile waits
// until the first image is published: BuildAndPublish must publish each
// image as soon as it is built. The results, inputs records and digests
// are those of Build followed by Publish.
func TestBuildAndPublishOverlaps(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":        "module example.com/two\n\ngo 1.22\n",
		"cmd/a/main.go": "package main\n\nfunc main() {}\n",
		"cmd/b/main.go": "package main\n\nfunc main() {}\n",
		"gobake.yaml": "version: 1\ndefaults:\n  base: scratch\n  platforms: [linux/amd64, linux/arm64]\ntags: [latest]\n" +
			"images:\n  a:\n    main: ./cmd/a\n  b:\n    main: ./cmd/b\n",
	}
	for n, body := range files {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "gobake.yaml"), config.WithGetenv(func(string) string { return "" }))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := New(ctx, cfg, layering.NewBases(ctx, cfg.Root), Options{})
	if err != nil {
		t.Fatal(err)
	}
	pub := &publishLog{
		Publisher: layering.NewLayoutPublisher(filepath.Join(t.TempDir(), "oci")),
		published: map[string]chan struct{}{"a": make(chan struct{}), "b": make(chan struct{})},
	}
	compile := func(wait bool) layering.Compiler {
		return layering.CompilerFunc(func(ctx context.Context, req layering.CompileRequest) error {
			if wait && req.Image == "b" {
				select {
				case <-pub.published["a"]:
				case <-time.After(20 * time.Second):
					return errors.New("b compiled before a was published")
				}
			}
			return os.WriteFile(req.Output, []byte("binary of "+req.Image), 0o755)
		})
	}
	builder := func(wait bool) *layering.Builder {
		return layering.NewBuilder(layering.WithCompiler(compile(wait)), layering.WithSBOMFormats(), layering.WithJobs(4)) // all at once: b waits for a
	}
	results, refs, err := plan.BuildAndPublish(ctx, builder(true), nil, pub, 2)
	if err != nil {
		t.Fatal(err)
	}

	want, err := plan.Build(ctx, builder(false), nil)
	if err != nil {
		t.Fatal(err)
	}
	wantRefs, err := Publish(ctx, layering.NewLayoutPublisher(filepath.Join(t.TempDir(), "oci")), want, 2)
	if err != nil {
		t.Fatal(err)
	}
	digests := func(rs []layering.Result, refs []name.Digest) []string {
		var out []string
		for i, r := range rs {
			out = append(out, r.Name+" "+refs[i].DigestStr())
			for _, rf := range r.Referrers {
				d, err := rf.Artifact.Digest()
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, "  referrer "+d.String())
			}
		}
		return out
	}
	if diff := cmp.Diff(digests(want, wantRefs), digests(results, refs)); diff != "" {
		t.Errorf("BuildAndPublish differs from Build and Publish (-want +got):\n%s", diff)
	}
}
