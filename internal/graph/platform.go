package graph

import (
	"fmt"
	"strings"
)

// platform is a parsed os/arch[/variant].
type platform struct {
	OS, Arch, Variant string
}

func parsePlatform(s string) (platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return platform{}, fmt.Errorf("platform %q: want os/arch[/variant]", s)
	}
	p := platform{OS: parts[0], Arch: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// env returns the GOOS, GOARCH and variant variables go build needs.
func (p platform) env() []string {
	env := []string{"GOOS=" + p.OS, "GOARCH=" + p.Arch}
	switch {
	case p.Variant == "":
	case p.Arch == "arm":
		env = append(env, "GOARM="+strings.TrimPrefix(p.Variant, "v"))
	case p.Arch == "amd64":
		env = append(env, "GOAMD64="+p.Variant)
	case p.Arch == "arm64" && p.Variant != "v8":
		env = append(env, "GOARM64="+strings.TrimPrefix(p.Variant, "v"))
	}
	return env
}
