// Package platform is gobake's one answer to "which platform": parsing
// os/arch[/variant] into go-containerregistry's v1.Platform, the variants
// gobake accepts, the Go environment (GOOS, GOARCH, GOARM, GOAMD64,
// GOARM64, …) that makes go build target a platform, and whether a base
// image's platform serves a wanted one.
package platform

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// All is the platforms value that selects every platform of the base
// image's index.
const All = "all"

// goPairs is the output of `go tool dist list` (Go 1.26): every GOOS/GOARCH
// pair the Go toolchain can build for.
//
//go:embed goplatforms.txt
var goPairs string

// variant is one accepted variant of an architecture and the Go
// environment variable setting it selects ("" for the toolchain default).
type variant struct {
	name  string
	goEnv string // KEY=VALUE, or "" when the variant is Go's baseline
}

// variants lists, per GOARCH, the variants gobake accepts after os/arch,
// with the Go setting each maps to. It is the only table of them: config
// checks against it and GoEnv maps with it.
var variants = map[string][]variant{
	"arm": {{"v5", "GOARM=5"}, {"v6", "GOARM=6"}, {"v7", "GOARM=7"}},
	"arm64": {
		{"v8", ""}, {"v8.0", "GOARM64=v8.0"}, {"v8.1", "GOARM64=v8.1"}, {"v8.2", "GOARM64=v8.2"},
		{"v8.3", "GOARM64=v8.3"}, {"v8.4", "GOARM64=v8.4"}, {"v8.5", "GOARM64=v8.5"}, {"v8.6", "GOARM64=v8.6"},
		{"v8.7", "GOARM64=v8.7"}, {"v8.8", "GOARM64=v8.8"}, {"v8.9", "GOARM64=v8.9"}, {"v9", "GOARM64=v9.0"},
		{"v9.0", "GOARM64=v9.0"}, {"v9.1", "GOARM64=v9.1"}, {"v9.2", "GOARM64=v9.2"}, {"v9.3", "GOARM64=v9.3"},
		{"v9.4", "GOARM64=v9.4"}, {"v9.5", "GOARM64=v9.5"},
	},
	"amd64":   {{"v1", "GOAMD64=v1"}, {"v2", "GOAMD64=v2"}, {"v3", "GOAMD64=v3"}, {"v4", "GOAMD64=v4"}},
	"riscv64": {{"rva20u64", "GORISCV64=rva20u64"}, {"rva22u64", "GORISCV64=rva22u64"}, {"rva23u64", "GORISCV64=rva23u64"}},
	"ppc64":   {{"power8", "GOPPC64=power8"}, {"power9", "GOPPC64=power9"}, {"power10", "GOPPC64=power10"}},
	"ppc64le": {{"power8", "GOPPC64=power8"}, {"power9", "GOPPC64=power9"}, {"power10", "GOPPC64=power10"}},
}

// Variants returns the variants accepted for GOARCH arch, in order; none
// when the architecture has no variants.
func Variants(arch string) []string {
	var out []string
	for _, v := range variants[arch] {
		out = append(out, v.name)
	}
	return out
}

// Parse parses "os/arch[/variant]". It checks only the shape; Check also
// checks that Go can build for it.
func Parse(s string) (v1.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || slices.Contains(parts, "") {
		return v1.Platform{}, fmt.Errorf("platform %q: want os/arch[/variant]", s)
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// Format writes p as os/arch[/variant]. OS version and features are left
// out: they never select a Go build.
func Format(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Check parses s and checks that it is a platform gobake can build: an
// os/arch pair of `go tool dist list` and, when given, a variant of
// Variants(arch).
func Check(s string) (v1.Platform, error) {
	p, err := Parse(s)
	if err != nil || !isGoPair(p.OS+"/"+p.Architecture) {
		return v1.Platform{}, fmt.Errorf("%q is not a Go platform (os/arch[/variant])", s)
	}
	if p.Variant == "" {
		return p, nil
	}
	vs := Variants(p.Architecture)
	if len(vs) == 0 {
		return v1.Platform{}, fmt.Errorf("%q: %s has no variants", s, p.Architecture)
	}
	if !slices.Contains(vs, p.Variant) {
		return v1.Platform{}, fmt.Errorf("%q: unknown %s variant %q (one of %s)", s, p.Architecture, p.Variant, strings.Join(vs, ", "))
	}
	return p, nil
}

// isGoPair reports whether os/arch is in `go tool dist list`.
func isGoPair(osArch string) bool {
	for line := range strings.Lines(goPairs) {
		if strings.TrimSpace(line) == osArch {
			return true
		}
	}
	return false
}

// List returns every platform string besides All that Check accepts: each
// Go os/arch pair, then os/arch/variant for each of the arch's variants.
func List() []string {
	var out []string
	for line := range strings.Lines(goPairs) {
		p := strings.TrimSpace(line)
		if p == "" {
			continue
		}
		out = append(out, p)
		_, arch, _ := strings.Cut(p, "/")
		for _, v := range Variants(arch) {
			out = append(out, p+"/"+v)
		}
	}
	return out
}

// GoEnv returns the GOOS, GOARCH and variant variables that make go build
// target p, e.g. [GOOS=linux GOARCH=arm64 GOARM64=v8.2].
func GoEnv(p v1.Platform) ([]string, error) {
	env := []string{"GOOS=" + p.OS, "GOARCH=" + p.Architecture}
	if p.Variant == "" {
		return env, nil
	}
	i := slices.IndexFunc(variants[p.Architecture], func(v variant) bool { return v.name == p.Variant })
	if i < 0 {
		return nil, fmt.Errorf("platform %s: variant %q has no Go equivalent", Format(p), p.Variant)
	}
	if kv := variants[p.Architecture][i].goEnv; kv != "" {
		env = append(env, kv)
	}
	return env, nil
}

// ArchTags returns the build tags go build sets for p's architecture
// feature level (amd64.v1 … amd64.v3 for amd64/v3, arm.5 … arm.7 for
// arm/v7, arm64.v8.0 … for arm64), as the Go toolchain's own defaults do
// when p has no variant. Architectures without levels get none.
func ArchTags(p v1.Platform) []string {
	env, err := GoEnv(p)
	if err != nil {
		return nil
	}
	level := ""
	for _, kv := range env[2:] {
		_, level, _ = strings.Cut(kv, "=")
	}
	var tags []string
	switch p.Architecture {
	case "amd64":
		n := 1
		if level != "" {
			n = int(level[1] - '0')
		}
		for i := 1; i <= n; i++ {
			tags = append(tags, fmt.Sprintf("amd64.v%d", i))
		}
	case "arm":
		n := 7
		if level != "" {
			n = int(level[0] - '0')
		}
		for i := 5; i <= n; i++ {
			tags = append(tags, fmt.Sprintf("arm.%d", i))
		}
	case "arm64":
		major, minor := 8, 0
		if level != "" {
			major, minor = int(level[1]-'0'), int(level[3]-'0')
		}
		for i := 0; i <= minor; i++ {
			tags = append(tags, fmt.Sprintf("arm64.v%d.%d", major, i))
		}
		if major == 9 {
			for i := 0; i <= minor+5 && i <= 9; i++ {
				tags = append(tags, fmt.Sprintf("arm64.v8.%d", i))
			}
		}
	}
	return tags
}

// Matches reports whether a platform (a base's, or that of an image built
// on it) serves a wanted one. An empty wanted variant takes any; arm64's
// v8 is the same as no variant.
func Matches(have, want v1.Platform) bool {
	if have.OS != want.OS || have.Architecture != want.Architecture {
		return false
	}
	if want.Variant == "" {
		return true
	}
	norm := func(p v1.Platform) string {
		if p.Architecture == "arm64" && p.Variant == "" {
			return "v8"
		}
		return p.Variant
	}
	return norm(have) == norm(want)
}
