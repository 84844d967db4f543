package gitops

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/config"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var (
	digestA = "sha256:" + strings.Repeat("a", 64)
	digestB = "sha256:" + strings.Repeat("b", 64)
	digest0 = "sha256:" + strings.Repeat("0", 64)
	digest1 = "sha256:" + strings.Repeat("1", 64)
)

// testUpdates are the releases of api and worker used by the tests.
func testUpdates() []Update {
	return []Update{
		{Image: "api", Repository: "ghcr.io/acme/api", Version: "1.1.0", Tag: "1.1.0", Digest: digestA},
		{Image: "worker", Repository: "ghcr.io/acme/worker", Version: "1.1.0", Tag: "1.1.0", Digest: digestB},
	}
}

var helmTarget = config.GitOpsTarget{File: "values.yaml", Helm: map[string]config.HelmPaths{
	"api": {Repository: ".image.repository", Tag: ".image.tag", Digest: ".image.digest"},
}}

func TestEdit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fixture string
		target  config.GitOpsTarget
		pin     config.Pin
		updates []Update
		changed []int // lines of the fixture that change; nil when lines are inserted
		want    []Change
	}{
		{
			name: "kustomize tag+digest", fixture: "kustomization.yaml", pin: config.PinTagDigest,
			changed: []int{11, 14, 15},
			want: []Change{
				{Line: 11, Image: "api", Old: "1.0.0", New: "1.1.0@" + digestA, OldRef: "ghcr.io/acme/api:1.0.0"},
				{Line: 13, Image: "worker", Old: "ghcr.io/acme/worker", New: "ghcr.io/acme/worker", OldRef: "ghcr.io/acme/worker:1.0.0@" + digest1},
				{Line: 14, Image: "worker", Old: "1.0.0", New: "1.1.0", OldRef: "ghcr.io/acme/worker:1.0.0@" + digest1},
				{Line: 15, Image: "worker", Old: digest1, New: digestB, OldRef: "ghcr.io/acme/worker:1.0.0@" + digest1},
			},
		},
		{
			name: "kustomize digest inserts", fixture: "kustomization.yaml", pin: config.PinDigest,
			want: []Change{
				{Line: 11, Image: "api", New: digestA, OldRef: "ghcr.io/acme/api:1.0.0"},
				{Line: 13, Image: "worker", Old: "ghcr.io/acme/worker", New: "ghcr.io/acme/worker", OldRef: "ghcr.io/acme/worker:1.0.0@" + digest1},
				{Line: 15, Image: "worker", Old: digest1, New: digestB, OldRef: "ghcr.io/acme/worker:1.0.0@" + digest1},
			},
		},
		{
			name: "helm digest", fixture: "values.yaml", target: helmTarget, pin: config.PinDigest,
			changed: []int{10, 11},
			want: []Change{
				{Line: 9, Image: "api", Old: "ghcr.io/acme/api", New: "ghcr.io/acme/api", OldRef: "ghcr.io/acme/api:1.0.0"},
				{Line: 10, Image: "api", Old: "1.0.0", New: "1.1.0", OldRef: "ghcr.io/acme/api:1.0.0"},
				{Line: 11, Image: "api", Old: "", New: digestA, OldRef: "ghcr.io/acme/api:1.0.0"},
			},
		},
		{
			name: "manifests digest", fixture: "manifests.yaml", pin: config.PinDigest,
			changed: []int{12, 15, 30, 40},
			want: []Change{
				{Line: 12, Image: "api", Old: "ghcr.io/acme/api:1.0.0@" + digest0, New: "ghcr.io/acme/api@" + digestA, OldRef: "ghcr.io/acme/api:1.0.0@" + digest0},
				{Line: 15, Image: "api", Old: "ghcr.io/acme/api:1.0.0", New: "ghcr.io/acme/api@" + digestA, OldRef: "ghcr.io/acme/api:1.0.0"},
				{Line: 30, Image: "worker", Old: "registry.old.example/worker:0.9.0", New: "ghcr.io/acme/worker@" + digestB, OldRef: "registry.old.example/worker:0.9.0"},
				{Line: 39, Image: "worker", Old: "ghcr.io/acme/worker", New: "ghcr.io/acme/worker", OldRef: "ghcr.io/acme/worker"},
				{Line: 40, Image: "worker", Old: "0.9.0", New: "1.1.0@" + digestB, OldRef: "0.9.0"},
			},
		},
		{
			name: "manifests tag", fixture: "manifests.yaml", pin: config.PinTag,
			changed: []int{12, 15, 30, 40},
			want: []Change{
				{Line: 12, Image: "api", Old: "ghcr.io/acme/api:1.0.0@" + digest0, New: "ghcr.io/acme/api:1.1.0", OldRef: "ghcr.io/acme/api:1.0.0@" + digest0},
				{Line: 15, Image: "api", Old: "ghcr.io/acme/api:1.0.0", New: "ghcr.io/acme/api:1.1.0", OldRef: "ghcr.io/acme/api:1.0.0"},
				{Line: 30, Image: "worker", Old: "registry.old.example/worker:0.9.0", New: "ghcr.io/acme/worker:1.1.0", OldRef: "registry.old.example/worker:0.9.0"},
				{Line: 39, Image: "worker", Old: "ghcr.io/acme/worker", New: "ghcr.io/acme/worker", OldRef: "ghcr.io/acme/worker"},
				{Line: 40, Image: "worker", Old: "0.9.0", New: "1.1.0", OldRef: "0.9.0"},
			},
		},
		{
			name: "separated tag+digest", fixture: "separated.yaml", pin: config.PinTagDigest,
			changed: []int{13},
			want: []Change{
				{Line: 13, Image: "api", Old: "ghcr.io/acme/api@" + digest0, New: "ghcr.io/acme/api:1.1.0@" + digestA, OldRef: "ghcr.io/acme/api@" + digest0},
			},
		},
		{
			name: "unrelated", fixture: "unrelated.yaml", pin: config.PinTag, changed: []int{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", tc.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if tc.target.File == "" {
				tc.target.File = tc.fixture
			}
			updates := tc.updates
			if updates == nil {
				updates = testUpdates()
			}
			out, changes, err := Edit(src, tc.fixture, tc.target, updates, tc.pin)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.want {
				tc.want[i].File = tc.fixture
			}
			if diff := cmp.Diff(tc.want, changes); diff != "" {
				t.Errorf("changes differ (-want +got):\n%s", diff)
			}
			golden := filepath.Join("testdata", "golden", strings.ReplaceAll(tc.name, " ", "_")+".yaml")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(out)); diff != "" {
				t.Errorf("output differs from %s (-want +got):\n%s", golden, diff)
			}
			if tc.changed != nil {
				if diff := cmp.Diff(tc.changed, changedLines(t, src, out)); diff != "" {
					t.Errorf("changed lines differ (-want +got):\n%s", diff)
				}
			} else {
				assertOnlyInserted(t, src, out, "digest: ")
			}
			// Editing the result again changes nothing.
			again, _, err := Edit(out, tc.fixture, tc.target, updates, tc.pin)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, out) {
				t.Errorf("a second edit changes the file again:\n%s", cmp.Diff(string(out), string(again)))
			}
		})
	}
}

// changedLines returns the 1-based lines in which a and b differ; they
// must have as many lines.
func changedLines(t *testing.T, a, b []byte) []int {
	t.Helper()
	la, lb := bytes.SplitAfter(a, []byte("\n")), bytes.SplitAfter(b, []byte("\n"))
	if len(la) != len(lb) {
		t.Fatalf("line count changed from %d to %d", len(la), len(lb))
	}
	out := []int{}
	for i := range la {
		if !bytes.Equal(la[i], lb[i]) {
			out = append(out, i+1)
		}
	}
	return out
}

// assertOnlyInserted checks that b is a with lines inserted or changed,
// each containing marker.
func assertOnlyInserted(t *testing.T, a, b []byte, marker string) {
	t.Helper()
	la, lb := bytes.SplitAfter(a, []byte("\n")), bytes.SplitAfter(b, []byte("\n"))
	i := 0
	for _, l := range lb {
		if i < len(la) && bytes.Equal(l, la[i]) {
			i++
			continue
		}
		if !bytes.Contains(l, []byte(marker)) {
			t.Errorf("unexpected line %q", l)
		}
		if i < len(la) && bytes.Contains(la[i], []byte(marker)) {
			i++ // a changed line rather than an inserted one
		}
	}
	if i != len(la) {
		t.Errorf("only %d of %d original lines kept", i, len(la))
	}
}

func TestEditErrors(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name    string
		src     []byte
		target  config.GitOpsTarget
		pin     config.Pin
		updates []Update
		want    string
	}{
		{"invalid YAML", read("invalid.yaml"), config.GitOpsTarget{}, config.PinTag, nil,
			"invalid.yaml:7: not valid YAML: did not find expected '-' indicator"},
		{"missing helm path", read("values.yaml"), config.GitOpsTarget{Helm: map[string]config.HelmPaths{"api": {Tag: ".image.version"}}}, config.PinTag, nil,
			"invalid.yaml:8:3: .image.version: no key version"},
		{"helm alias", read("values.yaml"), config.GitOpsTarget{Helm: map[string]config.HelmPaths{"api": {Tag: ".extraAnnotations.team"}}}, config.PinTag, nil,
			"invalid.yaml:15:19: .extraAnnotations.team goes through the alias *annotations; edit the anchored values instead"},
		{"kustomize digest with pin tag", read("kustomization.yaml"), config.GitOpsTarget{}, config.PinTag, nil,
			"invalid.yaml:15:13: digest: images entry worker has a digest, which pin: tag would leave in place; remove it or pin a digest"},
		{"no digest", read("manifests.yaml"), config.GitOpsTarget{}, config.PinDigest, []Update{{Image: "api", Repository: "ghcr.io/acme/api", Tag: "1"}},
			"update api: pin digest needs a digest"},
		{"repository not a repository", read("manifests.yaml"), config.GitOpsTarget{}, config.PinTag, []Update{{Image: "api", Repository: "ghcr.io/acme/\xff", Tag: "1"}},
			`update api: "ghcr.io/acme/\xff" is not a valid repository`},
		{"tag not a tag", read("manifests.yaml"), config.GitOpsTarget{}, config.PinTag, []Update{{Image: "api", Repository: "ghcr.io/acme/api", Tag: "1 # x"}},
			`update api: "1 # x" is not a valid tag`},
		{"digest not a digest", read("manifests.yaml"), config.GitOpsTarget{}, config.PinDigest, []Update{{Image: "api", Repository: "ghcr.io/acme/api", Digest: "sha256:abc"}},
			`update api: "sha256:abc" is not a valid digest`},
		{"block scalar", []byte("image: |\n  ghcr.io/acme/api:1\n"), config.GitOpsTarget{}, config.PinTag, nil,
			"invalid.yaml:1:8: image: cannot edit a block scalar (| or >)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			updates := tc.updates
			if updates == nil {
				updates = testUpdates()
			}
			_, _, err := Edit(tc.src, "invalid.yaml", tc.target, updates, tc.pin)
			if err == nil {
				t.Fatal("Edit succeeded")
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error = %q, want %q", got, tc.want)
			}
		})
	}
}
