package scaffold

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/kocompat"
)

// Options shape the generated gobake.yaml.
type Options struct {
	// Registry is written as the registry key; "" leaves it commented out.
	Registry string
	// Ko, when set, is the translated .ko.yaml to carry over.
	Ko *kocompat.Translation
	// KoFile is the path of .ko.yaml as shown in comments.
	KoFile string
	// Naming, when one of ko's rules, writes each image's repository so the
	// image keeps the name ko gave it. NamingBare cannot be written per image.
	Naming kocompat.Naming
	// Notes are carried into the file's list of untranslated settings,
	// ahead of the translation's own (e.g. KO_DOCKER_REPO).
	Notes []kocompat.Note
	// Selection says which mains are written commented out, and where
	// ko:// references name the others; nil writes every main as an image.
	Selection *Selection
}

// Plan is what gobake init writes.
type Plan struct {
	Images []PlannedImage
	// Notes lists what could not be translated from .ko.yaml. The caller
	// also prints them on standard error.
	Notes []kocompat.Note
	// Unresolved lists the ko:// references of the repository's YAML that
	// name no main package; the caller also prints them.
	Unresolved []kocompat.Note
	// ByReference is set when ko:// references chose the images.
	ByReference bool
}

// PlannedImage is one image of the generated file.
type PlannedImage struct {
	Name       string
	ImportPath string
	Dir        string // relative to root, slash-separated; "." for the root
	Main       string // relative to Dir: "./cmd/api" or "."
	Binary     string // "" when it is the image name
	Data       string // kodata directory relative to root, for a comment; "" when none
	Repository string // "" for gobake's default
	Base       string // "" for the default base
	Env        []string
	Flags      []string
	Ldflags    []string
	BuildID    string // ko builds[].id it came from
	// Disabled, when set, is why the image is written commented out.
	Disabled string
	// RefFrom is where a ko:// reference names its main (file:line), "" when none does.
	RefFrom string
}

// NewPlan decides the images of the repository at root, one per main.
func NewPlan(root string, mains []Main, opts Options) (*Plan, error) {
	if opts.Naming == kocompat.NamingBare {
		return nil, fmt.Errorf("naming %s cannot be written into gobake.yaml; pass --naming bare to build and resolve instead", opts.Naming)
	}
	p := &Plan{Notes: append([]kocompat.Note(nil), opts.Notes...)}
	sel := opts.Selection
	if sel == nil {
		sel = &Selection{}
	}
	p.Unresolved = sel.Unresolved
	p.ByReference = len(sel.RefFrom) > 0
	names := selectedNames(root, mains, sel.Disabled)
	used := map[string]bool{}
	for i, m := range mains {
		dir, err := relSlash(root, m.ModuleDir)
		if err != nil {
			return nil, err
		}
		main, err := relSlash(m.ModuleDir, m.Dir)
		if err != nil {
			return nil, err
		}
		img := PlannedImage{Name: names[i], ImportPath: m.ImportPath, Dir: dir, Main: dotSlash(main),
			Disabled: sel.Disabled[m.ImportPath], RefFrom: sel.RefFrom[m.ImportPath]}
		if m.External {
			img.Main = m.ImportPath // outside the repository: go finds it by import path
		}
		if b := binaryName(m.ImportPath); b != img.Name {
			img.Binary = b // ko names the binary after the import path: keep /ko-app/<binary>
		}
		if m.Kodata != "" {
			if img.Data, err = relSlash(root, m.Kodata); err != nil {
				return nil, err
			}
		}
		if ko := opts.Ko; ko != nil {
			if s, ok := ko.Images[strings.ToLower(m.ImportPath)]; ok {
				used[strings.ToLower(m.ImportPath)] = true
				img.Base = s.Base
				img.BuildID = s.BuildID
				img.Env, img.Flags, img.Ldflags = s.Env, s.Flags, s.Ldflags
				if s.Dir != "" {
					if img.Dir, err = relSlash(root, s.Dir); err != nil {
						return nil, err
					}
					if main, err = relSlash(s.Dir, m.Dir); err != nil {
						return nil, err
					}
					img.Main = dotSlash(main)
				}
			}
		}
		if opts.Naming != "" && opts.Naming != kocompat.NamingGobake {
			if img.Repository, err = kocompat.RepositoryName(opts.Naming, m.ImportPath, ""); err != nil {
				return nil, err
			}
		}
		p.Images = append(p.Images, img)
	}
	if ko := opts.Ko; ko != nil {
		for _, key := range slices.Sorted(maps.Keys(ko.Images)) {
			if used[key] {
				continue
			}
			s := ko.Images[key]
			p.Notes = append(p.Notes, kocompat.Note{
				Where: opts.KoFile + ": " + s.ImportPath,
				What:  "no main package with this import path in the repository or its vendor directory; its settings (base, builds entry) are left out",
			})
		}
		p.Notes = append(p.Notes, ko.Notes...)
	}
	return p, nil
}

// selectedNames names the images of mains: the enabled ones among
// themselves (see ImageNames), so that a commented-out main never makes an
// image's name longer, then the disabled ones, kept apart from those.
func selectedNames(root string, mains []Main, disabled map[string]string) []string {
	var on []Main
	var onIdx []int
	for i, m := range mains {
		if disabled[m.ImportPath] == "" {
			on = append(on, m)
			onIdx = append(onIdx, i)
		}
	}
	names := ImageNames(root, mains)
	taken := map[string]bool{}
	for j, n := range ImageNames(root, on) {
		names[onIdx[j]] = n
		taken[n] = true
	}
	for i, m := range mains {
		if disabled[m.ImportPath] == "" {
			continue
		}
		n := names[i]
		for k := 2; taken[n]; k++ {
			n = fmt.Sprintf("%s-%d", names[i], k)
		}
		names[i] = n
		taken[n] = true
	}
	return names
}

// KoDependencyMains returns the mains ko configures (baseImageOverrides,
// builds) that are not packages of the repository but of a required module
// of one of its modules (see DependencyMains): ko builds those too.
func KoDependencyMains(ctx context.Context, root string, mains []Main, ko *kocompat.Translation) []Main {
	known := map[string]bool{}
	for _, m := range mains {
		known[strings.ToLower(m.ImportPath)] = true
	}
	var wanted []string
	for _, key := range slices.Sorted(maps.Keys(ko.Images)) {
		if !known[key] {
			wanted = append(wanted, ko.Images[key].ImportPath)
		}
	}
	return DependencyMains(ctx, moduleDirs(root, mains), wanted)
}

// moduleDirs returns the module directories of mains, and root when it
// holds a go.mod: the modules whose requirements may provide a main.
func moduleDirs(root string, mains []Main) []string {
	var mods []string
	for _, m := range mains {
		if !m.External && !slices.Contains(mods, m.ModuleDir) {
			mods = append(mods, m.ModuleDir)
		}
	}
	if !slices.Contains(mods, root) {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			mods = append(mods, root)
		}
	}
	return mods
}

func binaryName(importPath string) string {
	b := importPath[strings.LastIndex(importPath, "/")+1:]
	if b == "" || b == "." {
		return "ko-app"
	}
	return b
}

func relSlash(base, target string) (string, error) {
	r, err := filepath.Rel(base, target)
	if err != nil {
		return "", fmt.Errorf("relative path of %s: %w", target, err)
	}
	return filepath.ToSlash(r), nil
}

func dotSlash(rel string) string {
	if rel == "." || strings.HasPrefix(rel, "../") {
		return rel
	}
	return "./" + rel
}

// Render writes p as a commented gobake.yaml.
func Render(p *Plan, opts Options) []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# gobake.yaml: the images of this repository, one per Go main package.\n")
	if opts.Ko != nil {
		w("# Generated by `gobake init --from-ko` from %s; see docs/ko-migration.md.\n", opts.KoFile)
	} else {
		w("# Generated by `gobake init`; see docs/config.md for every key.\n")
	}
	w("# Images keep ko's runtime layout: the binary at /ko-app/<binary>, static\n")
	w("# files at $KO_DATA_PATH (/var/run/ko), user 65532.\n")
	if p.ByReference {
		w("#\n# The images are the main packages that ko:// references in the repository's\n")
		w("# YAML name, as ko builds only those.")
		if slices.ContainsFunc(p.Images, func(img PlannedImage) bool { return img.Disabled != "" }) {
			w(" The other mains are written commented out\n# at the end.")
		}
		w("\n")
	}
	if len(p.Unresolved) > 0 {
		w("#\n# ko:// REFERENCES WITHOUT A MAIN PACKAGE (no image for them):\n")
		for _, n := range p.Unresolved {
			w("#   %s\n", n.Where)
		}
	}
	if len(p.Notes) > 0 {
		w("#\n# NOT TRANSLATED from .ko.yaml (fix by hand):\n")
		for _, n := range p.Notes {
			w("#   %s\n", n.String())
		}
	}
	w("\nversion: 1\n")
	w("\n# Where images are pushed; without a registry they go to the OCI layout\n")
	w("# .gobake/oci. $%s overrides it.\n", "GOBAKE_REGISTRY")
	if opts.Registry != "" {
		w("registry: %s\n", scalar(opts.Registry))
	} else {
		w("# registry: ghcr.io/your-org\n")
	}

	w("\n# Settings every image starts from; an image may override any of them.\n")
	w("defaults:\n")
	ko := opts.Ko
	if ko != nil && ko.Base != "" {
		if ko.Base == kocompat.KoDefaultBaseImage {
			w("  # ko's default base image, kept so images do not change.\n")
		}
		w("  base: %s\n", scalar(ko.Base))
	} else {
		w("  # The image the binary is layered onto (ko's default).\n")
		w("  base: %s\n", scalar(config.DefaultBase))
	}
	if ko != nil && len(ko.Platforms) > 0 {
		writeList(&b, "  ", "platforms", ko.Platforms)
	} else {
		w("  # os/arch[/variant] list, or all for every platform of the base.\n")
		w("  platforms: [linux/amd64]\n")
	}
	if ko != nil {
		writeList(&b, "  ", "env", ko.Env)
		writeList(&b, "  ", "flags", ko.Flags)
		writeList(&b, "  ", "ldflags", ko.Ldflags)
	}
	if ko == nil || (len(ko.Env) == 0 && len(ko.Flags) == 0 && len(ko.Ldflags) == 0) {
		w("  # ldflags: [\"-s\", \"-w\", \"-X main.version={{.Version}}\"]\n")
	}

	w("\nimages:\n")
	first := true
	for _, img := range p.Images {
		if img.Disabled != "" {
			continue
		}
		if !first {
			w("\n")
		}
		first = false
		writeImage(&b, img)
	}
	var off []PlannedImage
	for _, img := range p.Images {
		if img.Disabled != "" {
			off = append(off, img)
		}
	}
	if len(off) > 0 {
		w("\n  # Main packages that are not images; uncomment one to build it.\n")
		for _, img := range off {
			var ib bytes.Buffer
			writeImage(&ib, img)
			w("\n")
			for line := range strings.Lines(ib.String()) {
				if strings.HasPrefix(line, "  # ") {
					w("%s", line)
					continue
				}
				w("  # %s", strings.TrimPrefix(line, "  "))
			}
		}
	}
	return b.Bytes()
}

// writeImage writes img as an entry of images.
func writeImage(b *bytes.Buffer, img PlannedImage) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	if img.RefFrom != "" {
		w("  # ko://%s, referenced in %s\n", img.ImportPath, img.RefFrom)
	} else {
		w("  # ko://%s\n", img.ImportPath)
	}
	if img.Disabled != "" {
		w("  # Not an image: %s.\n", img.Disabled)
	}
	if img.BuildID != "" {
		w("  # from .ko.yaml builds entry %q\n", img.BuildID)
	}
	w("  %s:\n", scalar(img.Name))
	if img.Dir != "." {
		w("    dir: %s\n", scalar(img.Dir))
	}
	w("    main: %s\n", scalar(img.Main))
	if img.Binary != "" {
		w("    binary: %s\n", scalar(img.Binary))
	}
	if img.Data != "" {
		w("    # static files: %s, found by default (data:), served from $KO_DATA_PATH\n", img.Data)
	}
	if img.Repository != "" {
		w("    repository: %s\n", scalar(img.Repository))
	}
	if img.Base != "" {
		w("    base: %s\n", scalar(img.Base))
	}
	writeList(b, "    ", "env", img.Env)
	writeList(b, "    ", "flags", img.Flags)
	writeList(b, "    ", "ldflags", img.Ldflags)
}

func writeList(b *bytes.Buffer, indent, key string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "%s%s:\n", indent, key)
	for _, it := range items {
		fmt.Fprintf(b, "%s  - %s\n", indent, scalar(it))
	}
}

// scalar renders s as a YAML scalar, quoted only when it has to be.
func scalar(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Sprintf("%q", s)
	}
	return strings.TrimSuffix(string(out), "\n")
}
