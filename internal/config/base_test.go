package config

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseOCIRef(t *testing.T) {
	const digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	for _, tc := range []struct {
		in      string
		want    OCIRef
		wantErr string
	}{
		{in: "oci:layout", want: OCIRef{Path: "layout"}},
		{in: "oci:./a/b:v1", want: OCIRef{Path: "./a/b", Tag: "v1"}},
		{in: "oci:/abs/x@" + digest, want: OCIRef{Path: "/abs/x", Digest: digest}},
		{in: "oci:dir.v2/layout", want: OCIRef{Path: "dir.v2/layout"}},
		{in: "oci:", wantErr: "has no layout path"},
		{in: "oci::v1", wantErr: "has no layout path"},
		{in: "oci:x@sha256:1", wantErr: "bad digest"},
		{in: "oci:x:-bad", wantErr: "is not a valid tag"},
		{in: "layout", wantErr: "does not start with oci:"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseOCIRef(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseOCIRef error: %v, want ...%s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseOCIRef (-want +got):\n%s", diff)
			}
			if got.String() != tc.in {
				t.Errorf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

func TestIsBaseName(t *testing.T) {
	for in, want := range map[string]bool{
		"static": true, "my-base_2": true,
		"scratch": false, "": false, "alpine:3": false, "a.b": false, "ghcr.io/x": false, "x@sha256:0": false, "oci:x": false,
	} {
		if got := IsBaseName(in); got != want {
			t.Errorf("IsBaseName(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestSplitPlatform(t *testing.T) {
	for _, tc := range []struct {
		in                  string
		goos, arch, variant string
		wantErr             string
	}{
		{in: "linux/amd64", goos: "linux", arch: "amd64"},
		{in: "linux/arm/v7", goos: "linux", arch: "arm", variant: "v7"},
		{in: "linux/arm64/v8", goos: "linux", arch: "arm64", variant: "v8"},
		{in: "windows/amd64", goos: "windows", arch: "amd64"},
		{in: "linux/amd65", wantErr: `"linux/amd65" is not a Go platform (os/arch[/variant])`},
		{in: "darwin", wantErr: `"darwin" is not a Go platform (os/arch[/variant])`},
		{in: "linux/386/v1", wantErr: `"linux/386/v1": 386 has no variants`},
		{in: "linux/amd64/v5", wantErr: `"linux/amd64/v5": unknown amd64 variant "v5" (one of v1, v2, v3, v4)`},
		{in: "all", wantErr: `"all" is not a Go platform (os/arch[/variant])`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			goos, arch, variant, err := SplitPlatform(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("SplitPlatform error: %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || goos != tc.goos || arch != tc.arch || variant != tc.variant {
				t.Errorf("SplitPlatform = %q, %q, %q, %v", goos, arch, variant, err)
			}
		})
	}
}

// TestPlatformsKnownToToolchain checks that every embedded os/arch pair is
// one the installed Go can build for; new ports of a later Go are logged.
func TestPlatformsKnownToToolchain(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go tool dist list")
	}
	out, err := exec.Command("go", "tool", "dist", "list").Output()
	if err != nil {
		t.Fatalf("go tool dist list: %v", err)
	}
	have := strings.Fields(string(out))
	embedded := strings.Fields(goPlatforms)
	for _, p := range embedded {
		if !slices.Contains(have, p) {
			t.Errorf("embedded platform %s is not in go tool dist list", p)
		}
	}
	for _, p := range have {
		if !slices.Contains(embedded, p) {
			t.Logf("go tool dist list has %s, which goplatforms.txt lacks", p)
		}
	}
}
