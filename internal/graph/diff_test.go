package graph

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func record(plats map[string]map[string]string) *Record {
	r := &Record{Image: "api"}
	for p, in := range plats {
		r.Platforms = append(r.Platforms, PlatformRecord{Platform: p, Inputs: in})
	}
	r.Seal()
	return r
}

func TestInputsDigestDistinct(t *testing.T) {
	// Moving bytes between a key and its value must change the digest.
	a := InputsDigest(map[string]string{"file:a": "bc"})
	b := InputsDigest(map[string]string{"file:ab": "c"})
	if a == b {
		t.Fatalf("digests collide: %s", a)
	}
}

func TestDiffReasons(t *testing.T) {
	base := map[string]string{
		"toolchain":                  "go1.26.3",
		"file:internal/auth/tok.go":  "h1",
		"mod:golang.org/x/net":       "v0.20.0 h1:a=",
		"pkg:golang.org/x/net/http2": "mod golang.org/x/net",
		"cfg:ldflags":                `["-s"]`,
		"base":                       "sha256:1",
	}

	with := func(changes map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range changes {
			if v == "" {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	via := func(_, mod string) string { return "internal/httpx" }
	tests := []struct {
		name string
		old  map[string]string // nil: base
		new  map[string]string
		want []string
	}{
		{"file", nil, with(map[string]string{"file:internal/auth/tok.go": "h2"}), []string{"internal/auth/tok.go changed"}},
		{"module", nil, with(map[string]string{"mod:golang.org/x/net": "v0.21.0 h1:b="}), []string{"golang.org/x/net v0.20.0 → v0.21.0 (via internal/httpx)"}},
		{"toolchain", nil, with(map[string]string{"toolchain": "go1.26.4"}), []string{"go 1.26.3 → 1.26.4"}},
		{"ldflags and base", nil, with(map[string]string{"cfg:ldflags": `["-w"]`, "base": "sha256:2"}), []string{"base digest changed", "ldflags changed"}},
		{"package added", nil, with(map[string]string{"pkg:example.com/x": "local x abc", "file:x/x.go": "h"}), []string{"package example.com/x added to closure"}},
		{"layout", nil, with(map[string]string{"layout": "2"}), []string{"gobake image layout (none) → 2"}},
		{"layout bumped", with(map[string]string{"layout": "2"}), with(map[string]string{"layout": "3"}), []string{"gobake image layout 2 → 3"}},
		{"unchanged", nil, with(nil), []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.old == nil {
				tt.old = base
			}
			old := record(map[string]map[string]string{"linux/amd64": tt.old})
			cur := record(map[string]map[string]string{"linux/amd64": tt.new})
			got := []string{}
			for _, c := range Diff(old, cur, via) {
				got = append(got, c.Reason)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecordRoundTrip(t *testing.T) {
	r := record(map[string]map[string]string{"linux/amd64": {"toolchain": "go1.26.4"}, "linux/arm64": {"toolchain": "go1.26.4"}})
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	got.Platforms[0].Inputs["toolchain"] = "go1.27"
	b, _ = got.Marshal()
	if _, err := UnmarshalRecord(b); err == nil {
		t.Error("a record whose inputs do not match its digest was accepted")
	}
}
