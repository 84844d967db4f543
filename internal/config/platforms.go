package config

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
)

// goPlatforms is the output of `go tool dist list` (Go 1.26): every GOOS/GOARCH
// pair the Go toolchain can build for.
//
//go:embed goplatforms.txt
var goPlatforms string

// AllPlatforms is the value of platforms that asks for every platform of the
// base image's index.
const AllPlatforms = "all"

// platformVariants lists the variants gobake accepts after os/arch, per
// GOARCH; they map to GOARM, GOAMD64 and GOARM64.
var platformVariants = map[string][]string{
	"arm":   {"v5", "v6", "v7"},
	"arm64": {"v8", "v8.0", "v8.1", "v8.2", "v8.3", "v8.4", "v8.5", "v8.6", "v8.7", "v8.8", "v8.9", "v9", "v9.0", "v9.1", "v9.2", "v9.3", "v9.4", "v9.5"},
	"amd64": {"v1", "v2", "v3", "v4"},
}

// isGoPair reports whether os/arch is in `go tool dist list`.
func isGoPair(osArch string) bool {
	for line := range strings.Lines(goPlatforms) {
		if strings.TrimSpace(line) == osArch {
			return true
		}
	}
	return false
}

// Platforms returns every platform string that platforms accepts besides
// "all": each Go os/arch pair, and os/arch/variant where the arch has variants.
func Platforms() []string {
	var out []string
	for line := range strings.Lines(goPlatforms) {
		p := strings.TrimSpace(line)
		if p == "" {
			continue
		}
		out = append(out, p)
		_, arch, _ := strings.Cut(p, "/")
		for _, v := range platformVariants[arch] {
			out = append(out, p+"/"+v)
		}
	}
	return out
}

// SplitPlatform splits os/arch[/variant] into its parts, checking that it is a
// platform Go can build for.
func SplitPlatform(p string) (goos, goarch, variant string, err error) {
	parts := strings.Split(p, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return "", "", "", fmt.Errorf("%q is not a Go platform (os/arch[/variant])", p)
	}
	goos, goarch = parts[0], parts[1]
	if !isGoPair(goos + "/" + goarch) {
		return "", "", "", fmt.Errorf("%q is not a Go platform (os/arch[/variant])", p)
	}
	if len(parts) == 3 {
		variant = parts[2]
		vs := platformVariants[goarch]
		if len(vs) == 0 {
			return "", "", "", fmt.Errorf("%q: %s has no variants", p, goarch)
		}
		if !slices.Contains(vs, variant) {
			return "", "", "", fmt.Errorf("%q: unknown %s variant %q (one of %s)", p, goarch, variant, strings.Join(vs, ", "))
		}
	}
	return goos, goarch, variant, nil
}
