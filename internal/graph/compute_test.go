package graph

import (
	"context"
	"testing"
)

func TestComputeSample(t *testing.T) {
	root := copySample(t)
	cfg := sampleConfig(root)
	s, err := Compute(context.Background(), cfg, Options{BaseDigest: fakeBases{}.digest})
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
