package graph

import (
	"context"
	"encoding/json"
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

// TestRecordHoldsNoEnvValues checks that the records pushed to registries
// hold digests of an image's env values, never the values, and that a
// changed value still changes the inputs.
func TestRecordHoldsNoEnvValues(t *testing.T) {
	const secret, flag = "s3cret-literal-0123", "-ldflags=-X=main.key=k3y-literal-4567"
	root := copySample(t)
	digestWith := func(token string) (*Record, []byte) {
		t.Helper()
		cfg := sampleConfig(root)
		cfg.Images[0].Env = []string{"API_TOKEN=" + token, "GOFLAGS=" + flag, "VERSION={{.Version}}"}
		cfg.Images = cfg.Images[:1]
		s, err := Compute(context.Background(), cfg, Options{Targets: fakeBases{}.targets(t, cfg)})
		if err != nil {
			t.Fatal(err)
		}
		r := s.Records[cfg.Images[0].Name]
		b, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return r, b
	}
	r, b := digestWith(secret)
	for _, s := range []string{secret, "k3y-literal"} {
		if strings.Contains(string(b), s) {
			t.Errorf("the record holds %q:\n%s", s, b)
		}
	}
	env, _ := json.Marshal([]string{"API_TOKEN=" + ValueDigest(secret), "GOFLAGS=" + ValueDigest(flag), "VERSION=" + ValueDigest("{{.Version}}")})
	if got := r.Platforms[0].Inputs["cfg:env"]; got != string(env) {
		t.Errorf("cfg:env = %s, want %s", got, env)
	}
	if got := r.Platforms[0].Inputs["goenv:GOFLAGS"]; got != ValueDigest(flag) {
		t.Errorf("goenv:GOFLAGS = %s, want %s", got, ValueDigest(flag))
	}
	if r2, _ := digestWith(secret + "x"); r2.Digest == r.Digest {
		t.Error("a changed env value leaves the input digest unchanged")
	}
}
