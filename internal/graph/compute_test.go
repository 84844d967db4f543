package graph

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/config"
)

func TestComputeSample(t *testing.T) {
	root := copySample(t)
	cfg := sampleConfig(root)
	s, err := Compute(context.Background(), cfg, Options{Targets: fakeBases{}.targets(t, cfg)})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range s.Images() {
		r := s.Records[name]
		for _, p := range r.Platforms {
			t.Logf("%s %s %s %d inputs", name, p.Platform, p.Digest, len(p.Inputs))
			for k, v := range p.Inputs {
				if name == "api" && !(len(k) > 4 && k[:4] == "pkg:" && v == "std") {
					t.Logf("  %s = %s", k, v)
				}
			}
		}
	}
}

// TestComputeArchVariant computes an image on platform variants that
// config accepts: go list must run with the variable as Go spells it
// (linux/arm64/v8.2 used to load with GOARM64=8.2, which go rejects).
func TestComputeArchVariant(t *testing.T) {
	root := copySample(t)
	cfg := sampleConfig(root)
	img, _ := cfg.Image("ctl")
	img.Platforms = []string{"linux/arm64/v8.2", "linux/amd64/v3", "linux/arm/v6"}
	cfg.Images = []config.Image{img}
	s, err := Compute(context.Background(), cfg, Options{Targets: fakeBases{}.targets(t, cfg)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"linux/arm64/v8.2": "goenv:GOARM64=v8.2", "linux/amd64/v3": "goenv:GOAMD64=v3", "linux/arm/v6": "goenv:GOARM=6"}
	got := map[string]string{}
	for _, p := range s.Records["ctl"].Platforms {
		for k, v := range p.Inputs {
			if strings.HasPrefix(k, "goenv:GOARM") || strings.HasPrefix(k, "goenv:GOAMD64") {
				got[p.Platform] = k + "=" + v
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("go env inputs (-want +got):\n%s", diff)
	}
}
