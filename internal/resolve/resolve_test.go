package resolve

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
)

const fixture = "../../testdata/kouser"

// fakeDigest is the digest the fake builder gives image n.
func fakeDigest(t *testing.T, n string) name.Digest {
	t.Helper()
	d, err := name.NewDigest("registry.example.com/kouser/" + n + "@sha256:" + strings.Repeat(string(rune('a'+len(n)%6)), 64))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// fakeBuilder records what it was asked to build.
type fakeBuilder struct {
	t     *testing.T
	calls [][]string
}

func (f *fakeBuilder) Build(_ context.Context, names []string) (map[string]name.Digest, error) {
	f.calls = append(f.calls, names)
	out := map[string]name.Digest{}
	for _, n := range names {
		out[n] = fakeDigest(f.t, n)
	}
	return out, nil
}

func kouserIndex() Index {
	return Index{
		Images: map[string]string{
			"api":     "example.com/kouser/cmd/api",
			"jobs":    "example.com/kouser/cmd/worker", // named unlike its main on purpose
			"migrate": "example.com/kouser/cmd/migrate",
		},
		Mains: map[string]bool{
			"example.com/kouser/cmd/api":     true,
			"example.com/kouser/cmd/worker":  true,
			"example.com/kouser/cmd/migrate": true,
			"example.com/kouser/cmd/extra":   true,
		},
	}
}

func TestResolveFixturePreservesBytes(t *testing.T) {
	ctx := context.Background()
	inputs, err := ReadInputs(ctx, []string{filepath.Join(fixture, "config")}, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	fb := &fakeBuilder{t: t}
	var out, warn bytes.Buffer
	r := &Resolver{Index: kouserIndex(), Builder: fb, Warn: &warn}
	if err := r.Resolve(ctx, inputs, &out); err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if diff := cmp.Diff([][]string{{"api", "jobs", "migrate"}}, fb.calls); diff != "" {
		t.Errorf("builds (-want +got):\n%s", diff)
	}

	api, jobs, migrate := fakeDigest(t, "api").String(), fakeDigest(t, "jobs").String(), fakeDigest(t, "migrate").String()
	read := func(f string) string {
		b, err := os.ReadFile(filepath.Join(fixture, "config", f))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// The expected output is the input files in lexical order, separated by
	// "---" where a file does not open with one, with exactly the
	// references replaced: comments, spacing, quoting and prose stay.
	replace := func(s string, pairs ...string) string {
		for i := 0; i < len(pairs); i += 2 {
			if !strings.Contains(s, pairs[i]) {
				t.Fatalf("fixture lacks %q", pairs[i])
			}
			s = strings.Replace(s, pairs[i], pairs[i+1], 1)
		}
		return s
	}
	want := replace(read("api.yaml"),
		"image:   ko://example.com/kouser/cmd/api   # odd", "image:   "+api+"   # odd") +
		replace(read("migrate-job.yaml"),
			"image: ko://example.com/kouser/cmd/migrate", "image: "+migrate) +
		"---\n" +
		replace(read("worker.yaml"),
			`image: "ko://example.com/kouser/cmd/worker"`, `image: "`+jobs+`"`,
			"value: ko://example.com/kouser/cmd/api", "value: "+api,
			"image: 'ko://example.com/kouser/cmd/worker'", "image: '"+jobs+"'")
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	if !strings.Contains(out.String(), "Batch pods run ko://example.com/kouser/cmd/worker; this text is prose") {
		t.Error("a mention inside prose was rewritten")
	}
	if got := warn.String(); !strings.Contains(got, "worker.yaml:28:") || !strings.Contains(got, "inside a longer string left as is") {
		t.Errorf("warnings = %q, want one for worker.yaml:28", got)
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name    string
		inputs  []Input
		want    string
		wantErr []string // substrings of the error
	}{
		{
			name:   "gobake scheme and json",
			inputs: []Input{{Name: "a.json", Data: []byte(`{"spec":{"image":"gobake://migrate","other":"ko://example.com/kouser/cmd/api"}}`)}},
			want: `{"spec":{"image":"` + "registry.example.com/kouser/migrate@sha256:" + strings.Repeat("b", 64) +
				`","other":"registry.example.com/kouser/api@sha256:` + strings.Repeat("d", 64) + `"}}`,
		},
		{
			name:   "flow sequences, block scalars and keys elsewhere stay",
			inputs: []Input{{Name: "b.yaml", Data: []byte("images: [ko://example.com/kouser/cmd/api, 'x']\n# ko://example.com/kouser/cmd/nope in a comment\nlit: |\n  ko://example.com/kouser/cmd/api\n")}},
			want:   "images: [registry.example.com/kouser/api@sha256:" + strings.Repeat("d", 64) + ", 'x']\n# ko://example.com/kouser/cmd/nope in a comment\nlit: |\n  registry.example.com/kouser/api@sha256:" + strings.Repeat("d", 64) + "\n",
		},
		{
			name:   "separator between files, none added to one that has it",
			inputs: []Input{{Name: "a", Data: []byte("a: 1")}, {Name: "b", Data: []byte("b: 2\n")}, {Name: "empty", Data: []byte("\n")}, {Name: "c", Data: []byte("--- \nc: 3\n")}},
			want:   "a: 1\n---\nb: 2\n--- \nc: 3\n",
		},
		{
			name: "unknown references name file and line, all at once",
			inputs: []Input{
				{Name: "config/x.yaml", Data: []byte("a:\n  image: ko://example.com/kouser/internal/version\n---\nb: ko://example.com/kouser/cmd/extra\n")},
				{Name: "config/y.yaml", Data: []byte("c: gobake://nope\nd: ko://example.com/elsewhere/cmd/x\n")},
			},
			wantErr: []string{
				"config/x.yaml:2:10: ko://example.com/kouser/internal/version: not a main package of this repository",
				"config/x.yaml:4:4: ko://example.com/kouser/cmd/extra: main package is not an image of gobake.yaml",
				`config/y.yaml:1:4: gobake://nope: no image "nope" in gobake.yaml`,
				"config/y.yaml:2:4: ko://example.com/elsewhere/cmd/x: not a main package of this repository",
			},
		},
		{
			name:    "escaped reference cannot be rewritten in place",
			inputs:  []Input{{Name: "e.yaml", Data: []byte(`a: "ko://example.com/kouser/cmd\u002fapi"` + "\n")}},
			wantErr: []string{"e.yaml:1:4: ko://example.com/kouser/cmd/api: cannot rewrite this reference in place"},
		},
		{
			name:    "escaped reference spelled out in a comment after it is not rewritten there",
			inputs:  []Input{{Name: "e.yaml", Data: []byte(`a: "ko://example.com/kouser/cmd\u002fapi" # ko://example.com/kouser/cmd/api` + "\n")}},
			wantErr: []string{"e.yaml:1:4: ko://example.com/kouser/cmd/api: cannot rewrite this reference in place"},
		},
		{
			name:   "anchors, tags, quotes with blanks and commented block headers",
			inputs: []Input{{Name: "f.yaml", Data: []byte("a: &x !!str ko://example.com/kouser/cmd/api\nb: ' ko://example.com/kouser/cmd/api'\nc: | # the api\n  ko://example.com/kouser/cmd/api\n")}},
			want:   "a: &x !!str registry.example.com/kouser/api@sha256:" + strings.Repeat("d", 64) + "\nb: ' registry.example.com/kouser/api@sha256:" + strings.Repeat("d", 64) + "'\nc: | # the api\n  registry.example.com/kouser/api@sha256:" + strings.Repeat("d", 64) + "\n",
		},
		{
			name:    "syntax error",
			inputs:  []Input{{Name: "bad.yaml", Data: []byte("a: [\n")}},
			wantErr: []string{"bad.yaml: yaml:"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fb := &fakeBuilder{t: t}
			var out bytes.Buffer
			r := &Resolver{Index: kouserIndex(), Builder: fb}
			err := r.Resolve(context.Background(), tt.inputs, &out)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("Resolve succeeded:\n%s", out.String())
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				if len(fb.calls) > 0 {
					t.Errorf("built %v despite errors", fb.calls)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLookupWithoutMains(t *testing.T) {
	x := Index{Images: map[string]string{"a": "example.com/m/cmd/a", "b": "example.com/m/cmd/a"}}
	tests := []struct {
		target, wantErr string
	}{
		{"example.com/m/cmd/z", "t.yaml:3:5: ko://example.com/m/cmd/z: not the main package of any image in gobake.yaml"},
		{"example.com/m/cmd/a", "several images build this main package (a, b)"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			_, err := x.Lookup(Ref{Scheme: KoScheme, Target: tt.target, File: "t.yaml", Line: 3, Column: 5})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Lookup = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestReadInputs(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"b.yaml", "a.yml", "c.json", "notes.txt", "sub/d.yaml"} {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		paths     []string
		recursive bool
		want      []string
	}{
		{"directory", []string{root}, false, []string{"a.yml", "b.yaml", "c.json"}},
		{"recursive", []string{root}, true, []string{"a.yml", "b.yaml", "c.json", "sub/d.yaml"}},
		{"file of any name, stdin, in order", []string{filepath.Join(root, "notes.txt"), "-"}, false, []string{"notes.txt", "stdin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadInputs(context.Background(), tt.paths, tt.recursive, strings.NewReader("stdin"))
			if err != nil {
				t.Fatal(err)
			}
			var contents []string
			for _, in := range got {
				contents = append(contents, string(in.Data))
			}
			if diff := cmp.Diff(tt.want, contents); diff != "" {
				t.Errorf("ReadInputs (-want +got):\n%s", diff)
			}
		})
	}
}
