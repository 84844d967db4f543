package layering

import (
	"debug/buildinfo"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"
)

// goBuild is what an SBOM says about a Go binary, read from its build info.
type goBuild struct {
	GoVersion string               // e.g. "go1.26.0"
	Package   string               // import path of package main
	Main      goModule             // the main module
	Deps      []goModule           // dependencies, sorted by path
	Settings  []debug.BuildSetting // build settings in the order go recorded them
}

// goModule is one module linked into a binary, replacements applied.
type goModule struct {
	Path    string // module path
	Version string // version, "" when unknown (e.g. "(devel)")
	Sum     string // go.sum hash, "h1:…", "" when unknown
}

// readGoBuild reads the Go build information embedded in the binary at path.
func readGoBuild(path string) (*goBuild, error) {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read go build info: %w", err)
	}
	b := &goBuild{
		GoVersion: bi.GoVersion,
		Package:   bi.Path,
		Main:      moduleOf(&bi.Main),
		Settings:  bi.Settings,
	}
	if b.Main.Path == "" {
		b.Main.Path = bi.Path
	}
	for _, d := range bi.Deps {
		if d == nil {
			continue
		}
		b.Deps = append(b.Deps, moduleOf(d))
	}
	sort.Slice(b.Deps, func(i, j int) bool { return b.Deps[i].Path < b.Deps[j].Path })
	return b, nil
}

// moduleOf flattens a build-info module, taking version and sum from its
// replacement when it has one. The path stays the one the code imports.
func moduleOf(m *debug.Module) goModule {
	mod := goModule{Path: m.Path, Version: m.Version, Sum: m.Sum}
	if r := m.Replace; r != nil {
		mod.Version, mod.Sum = r.Version, r.Sum
	}
	if mod.Version == "(devel)" {
		mod.Version = ""
	}
	return mod
}

// stdlib is the Go standard library as a module of version v.
func (b *goBuild) stdlib() goModule {
	return goModule{Path: "stdlib", Version: strings.TrimPrefix(b.GoVersion, "go")}
}

// sumSHA256 decodes an "h1:" go.sum hash (base64 SHA-256 of the module's
// file tree) to hex. It returns "" for any other kind of sum.
func sumSHA256(sum string) string {
	b64, ok := strings.CutPrefix(sum, "h1:")
	if !ok {
		return ""
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != 32 {
		return ""
	}
	return hex.EncodeToString(raw)
}

// goPURL is the package URL of a Go module: pkg:golang/<path>[@<version>].
func goPURL(m goModule) string {
	segs := strings.Split(m.Path, "/")
	for i, s := range segs {
		segs[i] = purlEscape(s)
	}
	p := "pkg:golang/" + strings.Join(segs, "/")
	if m.Version != "" {
		p += "@" + purlEscape(m.Version)
	}
	return p
}

// purlEscape percent-encodes every byte of s outside the unreserved set
// A-Z a-z 0-9 . - _ ~, as the purl specification asks.
func purlEscape(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '-', c == '_', c == '~':
			sb.WriteByte(c)
		default:
			fmt.Fprintf(&sb, "%%%02X", c)
		}
	}
	return sb.String()
}
