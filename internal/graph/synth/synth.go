// Package synth writes a synthetic Go monorepo of many mains and packages,
// shaped like a real one (a shared core, one domain of packages per
// service), for benchmarking gobake plan; optionally with vendored
// third-party modules, data dirs and files for other platforms, and a
// History of realistic commits to replay against ground truth.
package synth

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/gobake/gobake/internal/config"
)

// Spec sizes a synthetic monorepo.
type Spec struct {
	Mains     int // services, one image each
	Core      int // shared core packages
	PerDomain int // packages of each service's domain
	Seed      uint64
	// Modules is the number of third-party modules, vendored under vendor/
	// with their vendor/modules.txt: service m's main links module
	// m mod (Modules-1), and the last one only a test uses (with one
	// module, every main links it).
	Modules int
	// Extras gives each service a kodata dir, each core package a file
	// for windows only, and the repository a README.
	Extras bool
	// Go is the go directive of go.mod; "" means 1.26.0.
	Go string
	// Realistic mains link what a real service does: much of the standard
	// library (HTTP, TLS, JSON, templates, SQL, Go type checking…) and,
	// for the modules Require gives a version (module path → version, run
	// go mod tidy after Generate), a registry client, YAML and
	// go/packages; their binaries weigh tens of MB, not one, unstripped.
	// Off, mains link only the runtime and strings: cheap for graph tests.
	// It cannot be combined with Modules.
	Realistic bool
	Require   map[string]string
}

// Default is 300 mains and about 10,000 packages.
func Default() Spec {
	return Spec{Mains: 300, Core: 300, PerDomain: 32, Seed: 1}
}

// Generate writes the monorepo into dir and returns its configuration, as
// config.Load would return it for an equivalent gobake.yaml.
func Generate(dir string, s Spec) (*config.Config, error) {
	_, cfg, err := generate(dir, s)
	return cfg, err
}

// generate is Generate; it also returns the import graph it wrote.
func generate(dir string, s Spec) (importGraph, *config.Config, error) {
	rng := rand.New(rand.NewPCG(s.Seed, 0))
	g := importGraph{}
	if s.Realistic && s.Modules > 0 {
		return nil, nil, fmt.Errorf("synth: realistic mains and vendored modules do not mix")
	}
	if err := writeModules(dir, s); err != nil {
		return nil, nil, err
	}
	if s.Realistic {
		if err := write(dir, "go.mod", goMod(s)); err != nil {
			return nil, nil, err
		}
	}
	for i := range s.Core {
		var imports []string
		for _, j := range pick(rng, max(0, i-40), i, 3) {
			imports = append(imports, fmt.Sprintf("example.com/synth/core/c%04d", j))
		}
		rel := fmt.Sprintf("core/c%04d", i)
		g[rel] = imports
		if err := writePkg(dir, rel, fmt.Sprintf("c%04d", i), imports); err != nil {
			return nil, nil, err
		}
		if s.Extras {
			if err := write(dir, rel+"/"+filepath.Base(rel)+"_windows.go", windowsFile(filepath.Base(rel), "windows")); err != nil {
				return nil, nil, err
			}
		}
	}
	if s.Modules > 1 && s.Core > 0 { // a module only a test imports
		test := fmt.Sprintf("package c0000\n\nimport _ %q\n", modulePath(s.Modules-1))
		if err := write(dir, "core/c0000/c0000_test.go", test); err != nil {
			return nil, nil, err
		}
	}
	if s.Extras {
		if err := write(dir, "README.md", "# synth\n\nA synthetic monorepo.\n"); err != nil {
			return nil, nil, err
		}
	}
	var yaml strings.Builder
	yaml.WriteString(configHeader)
	cfg := &config.Config{Path: filepath.Join(dir, config.FileName), Root: dir, Tags: []string{"latest"}}
	for m := range s.Mains {
		for i := range s.PerDomain {
			var imports []string
			for _, j := range pick(rng, max(0, i-8), i, 2) {
				imports = append(imports, fmt.Sprintf("example.com/synth/svc/s%03d/p%02d", m, j))
			}
			if s.Core > 0 {
				imports = append(imports, fmt.Sprintf("example.com/synth/core/c%04d", rng.IntN(s.Core)))
			}
			rel := fmt.Sprintf("svc/s%03d/p%02d", m, i)
			g[rel] = imports
			if err := writePkg(dir, rel, fmt.Sprintf("p%02d", i), imports); err != nil {
				return nil, nil, err
			}
		}
		var imports []string
		for _, j := range pick(rng, max(0, s.PerDomain-4), s.PerDomain, 4) {
			imports = append(imports, fmt.Sprintf("example.com/synth/svc/s%03d/p%02d", m, j))
		}
		if l := linkedModule(s, m); l >= 0 {
			imports = append(imports, modulePath(l))
		}
		// The main's directory is named after its image, so that one go
		// build -o DIR/ can build them all.
		name := fmt.Sprintf("s%03d", m)
		rel := "svc/" + name + "/cmd/" + name
		g[rel] = imports
		if s.Realistic {
			if err := write(dir, rel+"/main.go", realisticMain(s, rel, imports)); err != nil {
				return nil, nil, err
			}
			if err := write(dir, rel+"/main_test.go", "package main\n"); err != nil {
				return nil, nil, err
			}
		} else if err := writePkg(dir, rel, "main", imports); err != nil {
			return nil, nil, err
		}
		fmt.Fprintf(&yaml, "  %s:\n    main: ./%s\n", name, rel)
		data := ""
		if s.Extras {
			data = filepath.Join(dir, rel, "kodata")
			if err := write(dir, rel+"/kodata/config.txt", "service "+name+"\n"); err != nil {
				return nil, nil, err
			}
		}
		cfg.Images = append(cfg.Images, config.Image{
			Name: name, Main: "./" + rel, Dir: dir, Binary: name, Repository: name,
			BaseRef: config.Scratch, Data: data,
			Settings: config.Settings{
				Base: config.Scratch, Platforms: []string{"linux/amd64"},
				Ldflags: []string{"-s -w", "-X main.version={{.Version}}"},
			},
		})
	}
	text := yaml.String()
	if s.Realistic { // unstripped, as most services ship
		text = strings.Replace(text, "    - -s -w\n", "", 1)
		for i := range cfg.Images {
			cfg.Images[i].Ldflags = cfg.Images[i].Ldflags[1:]
		}
	}
	if err := write(dir, config.FileName, text); err != nil {
		return nil, nil, err
	}
	return g, cfg, nil
}

// importGraph is the import graph Generate writes: package directory → the
// import paths of its non-test files.
type importGraph map[string][]string

// configHeader starts the gobake.yaml Generate writes; the images follow.
// It matches the configuration Generate returns.
const configHeader = `# A synthetic monorepo written by internal/graph/synth.
version: 1

defaults:
  base: scratch
  platforms: [linux/amd64]
  ldflags:
    - -s -w
    - -X main.version={{.Version}}

images:
`

// pick returns up to n distinct numbers in [lo, hi).
func pick(rng *rand.Rand, lo, hi, n int) []int {
	seen := map[int]bool{}
	var out []int
	for range n {
		if hi <= lo {
			break
		}
		j := lo + rng.IntN(hi-lo)
		if !seen[j] {
			seen[j] = true
			out = append(out, j)
		}
	}
	return out
}

// writePkg writes one package: a function that calls its imports, a test
// file, and for main a main function.
func writePkg(dir, rel, name string, imports []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "package %s\n\nimport (\n\t\"strings\"\n", name)
	for i, imp := range imports {
		fmt.Fprintf(&b, "\ti%d %q\n", i, imp)
	}
	b.WriteString(")\n\n// Value returns a string made from the package's imports.\nfunc Value() string {\n\tparts := []string{\"" + rel + "\"}\n")
	for i := range imports {
		fmt.Fprintf(&b, "\tparts = append(parts, i%d.Value())\n", i)
	}
	b.WriteString("\treturn strings.Join(parts, \",\")\n}\n")
	if name == "main" {
		b.WriteString("\nfunc main() { println(len(Value())) }\n")
	}
	if err := write(dir, rel+"/"+filepath.Base(rel)+".go", b.String()); err != nil {
		return err
	}
	return write(dir, rel+"/"+filepath.Base(rel)+"_test.go", "package "+name+"\n")
}

func write(dir, rel, text string) error {
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}
