package layering

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// AllPlatforms is the platforms value that selects every platform of the
// base image index.
const AllPlatforms = "all"

// ParsePlatform parses "os/arch[/variant]" into a platform.
func ParsePlatform(s string) (v1.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return v1.Platform{}, fmt.Errorf("platform %q: want os/arch[/variant]", s)
	}
	for _, p := range parts {
		if p == "" {
			return v1.Platform{}, fmt.Errorf("platform %q: want os/arch[/variant]", s)
		}
	}
	p := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// platformString formats p as os/arch[/variant] (os.version and features
// are left out: they never select a Go build).
func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// goPlatformEnv returns the GOOS, GOARCH and micro-architecture variables
// that make go build target p.
func goPlatformEnv(p v1.Platform) ([]string, error) {
	env := []string{"GOOS=" + p.OS, "GOARCH=" + p.Architecture}
	if p.Variant == "" {
		return env, nil
	}
	v := p.Variant
	switch p.Architecture {
	case "arm":
		switch v {
		case "v5", "v6", "v7":
			return append(env, "GOARM="+strings.TrimPrefix(v, "v")), nil
		}
	case "amd64":
		switch v {
		case "v1", "v2", "v3", "v4":
			return append(env, "GOAMD64="+v), nil
		}
	case "arm64":
		switch {
		case v == "v8":
			return env, nil // the baseline Go targets anyway
		case strings.HasPrefix(v, "v8.") || strings.HasPrefix(v, "v9."):
			return append(env, "GOARM64="+v), nil
		case v == "v9":
			return append(env, "GOARM64=v9.0"), nil
		}
	case "riscv64":
		if strings.HasPrefix(v, "rva") {
			return append(env, "GORISCV64="+v), nil
		}
	case "ppc64", "ppc64le":
		if strings.HasPrefix(v, "power") {
			return append(env, "GOPPC64="+v), nil
		}
	}
	return nil, fmt.Errorf("platform %s: variant %q has no Go equivalent", platformString(p), v)
}
