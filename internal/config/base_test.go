package config

import (
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
