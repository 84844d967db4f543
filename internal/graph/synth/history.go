package synth

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gobake/gobake/internal/config"
)

// Commit is one commit of a History: a change to the repository as a
// developer or a dependency bot makes it.
type Commit struct {
	Message string // conventional commit message
	// Want lists the images whose output (binary or data) the commit
	// changes, sorted; the generator knows it, ground truth checks it.
	Want []string
	// SameOutput marks a commit whose inputs change in a way that cannot
	// change any image's bytes (the same flags written otherwise): the
	// plan flags images that their build proves unchanged.
	SameOutput bool
	// Reason is a reason the plan must give for the first image of Want;
	// "" checks none.
	Reason string
	apply  func(dir string) error
}

// Apply makes the commit's change to the repository in dir. The commits
// of a History are applied once each, in order.
func (c Commit) Apply(dir string) error {
	if err := c.apply(dir); err != nil {
		return fmt.Errorf("synth: commit %q: %w", c.Message, err)
	}
	return nil
}

// HistorySpec is the repository History starts from: a few mains
// linking vendored modules, with data dirs and files for other platforms,
// at go 1.25.0.
func HistorySpec() Spec {
	return Spec{Mains: 4, Core: 8, PerDomain: 3, Seed: 7, Modules: 3, Extras: true, Go: "1.25.0"}
}

// History writes the monorepo of s into dir, as Generate does, and returns
// its configuration and a history of realistic commits to apply to it: a
// README, a test, a file for another platform, a data file, a comment, a
// shared package's code, bumps of a module some images link (with and
// without code changes, with a new go line), of a module only a test uses,
// the ldflags written otherwise, the go directive, a package nothing
// imports. s needs Modules ≥ 3, Extras, Core ≥ 2, Mains ≥ 2 and a Go
// directive other than 1.26.0, which the history moves to.
func History(dir string, s Spec) (*config.Config, []Commit, error) {
	if s.Modules < 3 || !s.Extras || s.Core < 2 || s.Mains < 2 || goVersion(s) == "1.26.0" {
		return nil, nil, errors.New("synth: a history needs Modules ≥ 3, Extras, Core ≥ 2, Mains ≥ 2 and Go other than 1.26.0")
	}
	g, cfg, err := generate(dir, s)
	if err != nil {
		return nil, nil, err
	}
	h := &history{s: s, g: g}
	for j := range s.Modules {
		h.mods = append(h.mods, firstModule(j))
	}
	for m := range s.Mains {
		h.mains = append(h.mains, fmt.Sprintf("s%03d", m))
	}
	// The shared package edited: the core package linked by the most
	// images but not all, so that the edit separates them.
	shared, users := "core/c0000", h.users("core/c0000")
	best := 0
	for i := range s.Core {
		rel := fmt.Sprintf("core/c%04d", i)
		if u := h.users(rel); len(u) > best && len(u) < s.Mains {
			shared, users, best = rel, u, len(u)
		}
	}
	linking := func(j int) []string {
		var out []string
		for m, name := range h.mains {
			if linkedModule(s, m) == j {
				out = append(out, name)
			}
		}
		return out
	}
	tested := s.Modules - 1 // the module only a test imports
	s1, s2 := h.mains[1], h.mains[len(h.mains)-1]
	commits := []Commit{
		{Message: "docs: describe the services", apply: appendFile("README.md", "\nEach service is one image.\n")},
		{Message: "test(core): cover c0001", apply: writeFile("core/c0001/c0001_test.go",
			"package c0001\n\nimport \"testing\"\n\nfunc TestValue(t *testing.T) {\n\tif Value() == \"\" {\n\t\tt.Fatal(\"empty\")\n\t}\n}\n")},
		{Message: "fix(core): name windows in full", apply: writeFile("core/c0000/c0000_windows.go", windowsFile("c0000", "Microsoft Windows"))},
		{Message: "chore(" + s1 + "): configuration", Want: []string{s1}, Reason: "data config.txt changed",
			apply: appendFile("svc/"+s1+"/cmd/"+s1+"/kodata/config.txt", "replicas 2\n")},
		{Message: "docs(" + s2 + "): say what main does", Want: []string{s2}, Reason: "svc/" + s2 + "/cmd/" + s2 + "/" + s2 + ".go changed",
			// A comment changes the binary: its Go build ID hashes the source.
			apply: replace("svc/"+s2+"/cmd/"+s2+"/"+s2+".go", "\nfunc main()", "\n// main prints the length of Value.\nfunc main()")},
		{Message: "feat(core): longer values", Want: users, Reason: shared + "/" + filepath.Base(shared) + ".go changed",
			apply: replace(shared+"/"+filepath.Base(shared)+".go", `strings.Join(parts, ",")`, `strings.Join(parts, ", ")`)},
		h.bump(0, module{version: "v1.1.0", goLine: "1.22", text: modulePath(0) + " two"}, linking(0)),
		h.bump(tested, module{version: "v1.0.1", goLine: "1.22", text: modulePath(tested) + " fixed"}, nil),
		// The version of a linked module is in the binary's build info.
		h.bump(1, module{version: "v1.0.1", goLine: "1.22", text: modulePath(1) + " one"}, linking(1)),
		h.bump(0, module{version: "v1.2.0", goLine: "1.23", text: modulePath(0) + " two"}, linking(0)),
		{Message: "chore: ldflags one per item", SameOutput: true,
			apply: replace(config.FileName, "    - -s -w\n", "    - -s\n    - -w\n")},
		{Message: "build: go 1.26.0", Want: h.mains, Reason: "go " + goVersion(s) + " → 1.26.0",
			apply: func(dir string) error {
				h.s.Go = "1.26.0"
				return writeVendor(dir, h.s, h.mods)
			}},
		{Message: "feat(core): a package for later", apply: writeFile("core/later/later.go", "package later\n\n// Later is not used yet.\nfunc Later() {}\n")},
	}
	return cfg, commits, nil
}

// history is the state History's commits share.
type history struct {
	s     Spec
	g     importGraph
	mods  []module
	mains []string
}

// users returns the images whose main's import closure holds the package
// in directory rel, sorted.
func (h *history) users(rel string) []string {
	var out []string
	for _, name := range h.mains {
		seen := map[string]bool{}
		var walk func(dir string) bool
		walk = func(dir string) bool {
			if dir == rel {
				return true
			}
			if seen[dir] {
				return false
			}
			seen[dir] = true
			for _, imp := range h.g[dir] {
				if d, ok := strings.CutPrefix(imp, "example.com/synth/"); ok && walk(d) {
					return true
				}
			}
			return false
		}
		if walk("svc/" + name + "/cmd/" + name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// bump is the commit that moves module j to m, as go get and go mod
// vendor would; want are the images linking it.
func (h *history) bump(j int, m module, want []string) Commit {
	old := h.mods[j] // as of History's call: bumps are made in order
	h.mods[j] = m
	reason := ""
	switch {
	case len(want) == 0:
	case old.goLine == m.goLine:
		reason = fmt.Sprintf("%s %s → %s (vendor/modules.txt)", modulePath(j), old.version, m.version)
	default:
		reason = fmt.Sprintf("%s %s (explicit; go %s) → %s (explicit; go %s) (vendor/modules.txt)",
			modulePath(j), old.version, old.goLine, m.version, m.goLine)
	}
	mods := slices.Clone(h.mods)
	return Commit{
		Message: fmt.Sprintf("build(deps): bump %s from %s to %s", modulePath(j), old.version, m.version),
		Want:    want, Reason: reason,
		apply: func(dir string) error {
			// The go directive may have moved since: keep it.
			h.mods = slices.Clone(mods)
			return writeVendor(dir, h.s, h.mods)
		},
	}
}

// writeFile writes text to the file rel.
func writeFile(rel, text string) func(string) error {
	return func(dir string) error { return write(dir, rel, text) }
}

// appendFile appends text to the file rel.
func appendFile(rel, text string) func(string) error {
	return func(dir string) error {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		return write(dir, rel, string(b)+text)
	}
}

// replace replaces the first old in the file rel with new.
func replace(rel, old, new string) func(string) error {
	return func(dir string) error {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		if !strings.Contains(string(b), old) {
			return fmt.Errorf("%s does not contain %q", rel, old)
		}
		return write(dir, rel, strings.Replace(string(b), old, new, 1))
	}
}
