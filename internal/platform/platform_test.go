package platform

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestParse(t *testing.T) {
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
			got, err := Parse(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse(%q) error = %v, want error %t", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
			if err == nil && Format(got) != tt.in {
				t.Errorf("Format(Parse(%q)) = %q", tt.in, Format(got))
			}
		})
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    v1.Platform
		wantErr string
	}{
		{in: "linux/amd64", want: v1.Platform{OS: "linux", Architecture: "amd64"}},
		{in: "linux/arm/v7", want: v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}},
		{in: "linux/arm64/v8", want: v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}},
		{in: "linux/arm64/v8.2", want: v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8.2"}},
		{in: "windows/amd64", want: v1.Platform{OS: "windows", Architecture: "amd64"}},
		{in: "linux/amd65", wantErr: `"linux/amd65" is not a Go platform (os/arch[/variant])`},
		{in: "darwin", wantErr: `"darwin" is not a Go platform (os/arch[/variant])`},
		{in: "linux/386/v1", wantErr: `"linux/386/v1": 386 has no variants`},
		{in: "linux/amd64/v5", wantErr: `"linux/amd64/v5": unknown amd64 variant "v5" (one of v1, v2, v3, v4)`},
		{in: "all", wantErr: `"all" is not a Go platform (os/arch[/variant])`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Check(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Check error: %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Check(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestGoEnv(t *testing.T) {
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
		{in: "linux/arm64/v9", want: []string{"GOOS=linux", "GOARCH=arm64", "GOARM64=v9.0"}},
		{in: "linux/riscv64/rva22u64", want: []string{"GOOS=linux", "GOARCH=riscv64", "GORISCV64=rva22u64"}},
		{in: "linux/ppc64le/power9", want: []string{"GOOS=linux", "GOARCH=ppc64le", "GOPPC64=power9"}},
		{in: "linux/arm/v9", wantErr: true},
		{in: "linux/386/v1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := GoEnv(p)
			if (err != nil) != tt.wantErr {
				t.Fatalf("GoEnv(%s) error = %v, want error %t", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("GoEnv(%s) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestEveryAcceptedVariantBuilds asks the installed go command to accept
// the environment GoEnv gives for every variant Check accepts: a variant
// that passes the config check must not fail the build (linux/arm64/v8.2
// used to give GOARM64=8.2 in one place).
func TestEveryAcceptedVariantBuilds(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed: %v", err)
	}
	var checked int
	for _, s := range List() {
		p, err := Check(s)
		if err != nil {
			t.Fatalf("List has %s, which Check rejects: %v", s, err)
		}
		if p.Variant == "" || p.OS != "linux" {
			continue
		}
		checked++
		t.Run(s, func(t *testing.T) {
			env, err := GoEnv(p)
			if err != nil {
				t.Fatalf("GoEnv(%s): %v", s, err)
			}
			cmd := exec.Command(goBin, "env", "GOOS", "GOARCH", "GOARM", "GOAMD64", "GOARM64", "GORISCV64", "GOPPC64")
			cmd.Env = append(os.Environ(), env...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("go env with %v: %v\n%s", env, err, out)
			}
			for _, kv := range env {
				_, v, _ := strings.Cut(kv, "=")
				if !slices.Contains(strings.Fields(string(out)), v) {
					t.Errorf("go env with %v does not report %s:\n%s", env, v, out)
				}
			}
		})
	}
	if checked < 30 {
		t.Errorf("checked %d variants of linux platforms, want every one (at least 30)", checked)
	}
}

func TestMatches(t *testing.T) {
	p := func(s string) v1.Platform { x, _ := Parse(s); return x }
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
			if got := Matches(p(tt.have), p(tt.want)); got != tt.match {
				t.Errorf("Matches = %t, want %t", got, tt.match)
			}
		})
	}
}

// TestPlatformsKnownToToolchain checks that every embedded os/arch pair is
// one the installed Go can build for; new ports of a later Go are logged.
func TestPlatformsKnownToToolchain(t *testing.T) {
	out, err := exec.Command("go", "tool", "dist", "list").Output()
	if err != nil {
		t.Fatalf("go tool dist list: %v", err)
	}
	have := strings.Fields(string(out))
	embedded := strings.Fields(goPairs)
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

// TestArchTags compares ArchTags with the tool tags the Go toolchain sets
// for the same platform (go list's context.ToolTags), less its
// goexperiment tags.
func TestArchTags(t *testing.T) {
	for _, s := range []string{"linux/amd64", "linux/amd64/v3", "linux/arm/v6", "linux/arm", "linux/arm64", "linux/arm64/v8.2", "linux/arm64/v9.1", "linux/s390x"} {
		t.Run(s, func(t *testing.T) {
			p, err := Parse(s)
			if err != nil {
				t.Fatal(err)
			}
			env, err := GoEnv(p)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("go", "list", "-e", "-f", "{{join context.ToolTags \" \"}}", "unsafe")
			cmd.Dir = t.TempDir()
			cmd.Env = append(os.Environ(), env...)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			var want []string
			for _, tag := range strings.Fields(string(out)) {
				if !strings.HasPrefix(tag, "goexperiment.") {
					want = append(want, tag)
				}
			}
			if diff := cmp.Diff(want, ArchTags(p)); diff != "" {
				t.Errorf("ArchTags(%s) (-go list +got):\n%s", s, diff)
			}
		})
	}
}
