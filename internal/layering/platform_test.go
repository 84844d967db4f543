package layering

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestParsePlatform(t *testing.T) {
	tests := []struct {
		in      string
		want    v1.Platform
		wantErr bool
	}{
		{in: "linux/amd64", want: v1.Platform{OS: "linux", Architecture: "amd64"}},
		{in: "linux/arm/v7", want: v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}},
		{in: "linux", wantErr: true},
		{in: "linux//v7", wantErr: true},
		{in: "a/b/c/d", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePlatform(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParsePlatform(%q) error = %v, want error %t", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePlatform(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestGoPlatformEnv(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{in: "linux/amd64", want: []string{"GOOS=linux", "GOARCH=amd64"}},
		{in: "linux/amd64/v3", want: []string{"GOOS=linux", "GOARCH=amd64", "GOAMD64=v3"}},
		{in: "linux/arm/v6", want: []string{"GOOS=linux", "GOARCH=arm", "GOARM=6"}},
		{in: "linux/arm64/v8", want: []string{"GOOS=linux", "GOARCH=arm64"}},
		{in: "linux/arm64/v8.2", want: []string{"GOOS=linux", "GOARCH=arm64", "GOARM64=v8.2"}},
		{in: "linux/riscv64/rva22u64", want: []string{"GOOS=linux", "GOARCH=riscv64", "GORISCV64=rva22u64"}},
		{in: "linux/arm/v9", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := ParsePlatform(tt.in)
			noErr(t, err)
			got, err := goPlatformEnv(p)
			if (err != nil) != tt.wantErr {
				t.Fatalf("goPlatformEnv(%s) error = %v, want error %t", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("goPlatformEnv(%s) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestPlatformMatches(t *testing.T) {
	p := func(s string) v1.Platform { x, _ := ParsePlatform(s); return x }
	tests := []struct {
		have, want string
		match      bool
	}{
		{"linux/amd64", "linux/amd64", true},
		{"linux/arm64/v8", "linux/arm64", true},
		{"linux/arm64", "linux/arm64/v8", true},
		{"linux/arm/v6", "linux/arm/v7", false},
		{"linux/arm/v7", "linux/arm", true},
		{"linux/amd64", "linux/arm64", false},
	}
	for _, tt := range tests {
		t.Run(tt.have+" serves "+tt.want, func(t *testing.T) {
			if got := PlatformMatches(p(tt.have), p(tt.want)); got != tt.match {
				t.Errorf("PlatformMatches = %t, want %t", got, tt.match)
			}
		})
	}
}
