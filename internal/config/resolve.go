package config

import (
	"cmp"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/gobake/gobake/internal/imageref"
)

// resolve applies defaults, resolves bases and checks the paths of every
// image, building the Config.
func (w *walker) resolve(raw *rawConfig, o loadOptions) *Config {
	cfg := &Config{
		Root:  w.root,
		Bases: raw.bases,
		Tags:  []string{DefaultTag},
	}
	cfg.Release = resolveRelease(raw.release)
	cfg.Sign = w.resolveSign(raw.sign)
	if len(cfg.Bases) == 0 {
		cfg.Bases = nil
	}
	var yaml string
	setStr(&yaml, raw.registry)
	env := o.getenv(RegistryEnv)
	for _, r := range []struct{ what, value string }{{"--registry", o.registry}, {"$" + RegistryEnv, env}} {
		if r.value == "" {
			continue
		}
		if err := checkRegistry(imageref.Normalize(r.value)); err != nil {
			w.p.add(0, 0, r.what, "%v", err)
		}
	}
	cfg.Registry = imageref.Choose(o.registry, env, yaml)
	if raw.tags != nil {
		cfg.Tags = values(raw.tags)
	}
	w.checkBase(raw.defaults.base, raw.bases, "defaults.base")
	cfg.Defaults = merge(BuiltinDefaults(), raw.defaults)

	for _, ri := range raw.images {
		w.checkBase(ri.settings.base, raw.bases, joinPath(ri.path, "base"))
		img := Image{
			Name:       ri.name,
			Binary:     ri.name,
			Repository: ri.name,
			Settings:   merge(cfg.Defaults, ri.settings),
			Tags:       slices.Clone(cfg.Tags),
		}
		if ri.tags != nil {
			img.Tags = values(ri.tags)
		}
		if ri.binary != nil {
			img.Binary = ri.binary.v
			if !validBinary(img.Binary) {
				w.p.add(ri.binary.n.Line, ri.binary.n.Column, joinPath(ri.path, "binary"), "%q is not a file name (letters, digits, . _ -)", img.Binary)
			}
		}
		if ri.repository != nil {
			img.Repository = ri.repository.v
			if !validRepository(img.Repository) {
				w.p.add(ri.repository.n.Line, ri.repository.n.Column, joinPath(ri.path, "repository"), "%q is not a valid repository name (lowercase components separated by /)", img.Repository)
			}
		}
		img.BaseRef = absBaseRef(img.Base, w.root)
		if IsBaseName(img.Base) {
			img.BaseRef = absBaseRef(raw.bases[img.Base], w.root)
		}
		if img.BaseRef == Scratch && slices.Equal(img.Platforms, []string{AllPlatforms}) {
			w.p.add(ri.key.Line, ri.key.Column, ri.path, "platforms [%s] takes the platforms of the base image's index, but the base is %s", AllPlatforms, Scratch)
		}
		cfg.Images = append(cfg.Images, img)
	}
	// Each image's dir, main and data are checked apart (reading each
	// main's directory as go build would), so on a few goroutines.
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), len(raw.images)) {
		wg.Go(func() {
			for i := range next {
				w.paths(raw.images[i], &cfg.Images[i])
			}
		})
	}
	for i := range raw.images {
		next <- i
	}
	close(next)
	wg.Wait()
	slices.SortFunc(cfg.Images, func(a, b Image) int { return cmp.Compare(a.Name, b.Name) })
	cfg.GitOps = w.resolveGitOps(raw.gitops, cfg.Images)
	return cfg
}

// checkBase checks a base as written in defaults or an image.
func (w *walker) checkBase(b *strVal, bases map[string]string, path string) {
	if b == nil {
		return
	}
	if IsBaseName(b.v) {
		if _, ok := bases[b.v]; !ok {
			known := slices.Sorted(maps.Keys(bases))
			msg := "no base named %q in bases"
			if len(known) > 0 {
				msg += " (known: " + strings.Join(known, ", ") + ")"
			}
			w.p.add(b.n.Line, b.n.Column, path, msg, b.v)
		}
		return
	}
	if err := checkBaseRef(b.v); err != nil {
		w.p.add(b.n.Line, b.n.Column, path, "%v", err)
	}
}

// merge overlays the settings set in s onto d: lists replace, maps merge.
func merge(d Settings, s rawSettings) Settings {
	out := Settings{
		Base:        d.Base,
		Platforms:   slices.Clone(d.Platforms),
		Env:         slices.Clone(d.Env),
		Flags:       slices.Clone(d.Flags),
		Ldflags:     slices.Clone(d.Ldflags),
		User:        d.User,
		Compression: d.Compression,
		Labels:      maps.Clone(d.Labels),
		Annotations: maps.Clone(d.Annotations),
	}
	setStr(&out.Base, s.base)
	setStr(&out.User, s.user)
	setStr(&out.Compression, s.compression)
	if s.platforms != nil {
		out.Platforms = values(s.platforms)
	}
	if s.env != nil {
		out.Env = values(s.env)
	}
	if s.flags != nil {
		out.Flags = values(s.flags)
	}
	if s.ldflags != nil {
		out.Ldflags = values(s.ldflags)
	}
	out.Labels = mergeMap(out.Labels, s.labels)
	out.Annotations = mergeMap(out.Annotations, s.annotations)
	return out
}

// values returns the strings of a list, nil when it is empty.
func values(l *listVal) []string {
	var out []string
	for _, item := range l.items {
		out = append(out, item.v)
	}
	return out
}

// mergeMap sets the keys of m onto d; the result is nil when empty.
func mergeMap(d map[string]string, m *mapVal) map[string]string {
	if m != nil {
		for i, k := range m.keys {
			if d == nil {
				d = map[string]string{}
			}
			d[k.v] = m.values[i].v
		}
	}
	if len(d) == 0 {
		return nil
	}
	return d
}

// validBinary reports whether s is a plain file name.
func validBinary(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// Image returns the image called name.
func (c *Config) Image(name string) (Image, bool) {
	i, ok := slices.BinarySearchFunc(c.Images, name, func(img Image, name string) int { return cmp.Compare(img.Name, name) })
	if !ok {
		return Image{}, false
	}
	return c.Images[i], true
}
