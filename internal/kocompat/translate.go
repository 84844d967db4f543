package kocompat

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Translation is a .ko.yaml expressed in gobake.yaml terms. Settings left
// nil or "" keep gobake's defaults.
type Translation struct {
	Base      string   // defaults.base: defaultBaseImage, else ko's own default
	Platforms []string // defaults.platforms
	Env       []string // defaults.env
	Flags     []string // defaults.flags
	Ldflags   []string // defaults.ldflags
	// Images holds per-image settings keyed by the import path of the
	// main package (lower-cased, as ko's configuration keys are).
	Images map[string]*ImageSettings
	// Notes lists what could not be translated. It is never dropped: the
	// caller writes it to gobake.yaml as comments and to standard error.
	Notes []Note
}

// ImageSettings are the per-image settings .ko.yaml gives one main package.
type ImageSettings struct {
	ImportPath string   // import path of the main package, as found
	BuildID    string   // builds[].id, "" when the image has no builds entry
	Dir        string   // absolute directory go runs in; "" means not set
	Main       string   // main package relative to Dir ("./cmd/api"); "" means not set
	Base       string   // from baseImageOverrides
	Env        []string // builds[].env
	Flags      []string // builds[].flags, translated
	Ldflags    []string // builds[].ldflags, translated
}

// Translate turns f into gobake settings. root is the directory holding
// .ko.yaml, the one ko runs in; builds are located relative to it.
func Translate(f *KoFile, root string) *Translation {
	t := &Translation{Images: map[string]*ImageSettings{}}
	t.Notes = append(t.Notes, f.Unknown...)
	t.Base = f.DefaultBaseImage
	if t.Base == "" {
		t.Base = KoDefaultBaseImage
	}
	t.Platforms = f.DefaultPlatforms
	top := func(key string) string {
		return fmt.Sprintf("%s:%d: %s", f.Path, f.KeyLines[strings.ToLower(key)], key)
	}
	t.Env = koEnv(t.env(top("defaultEnv"), f.DefaultEnv))
	t.Flags = koFlags(t.templates(top("defaultFlags"), f.DefaultFlags))
	t.Ldflags = t.templates(top("defaultLdflags"), f.DefaultLdflags)

	for _, o := range f.BaseImageOverrides {
		s := t.image(strings.ToLower(o.ImportPath))
		s.ImportPath = o.ImportPath // as written: a vendored main is found by it
		s.Base = o.Base
	}
	for _, b := range f.Builds {
		where := fmt.Sprintf("%s:%d: builds[%d]", f.Path, b.Line, b.Index)
		at := func(key string) string {
			w := fmt.Sprintf("%s:%d: builds[%d]", f.Path, b.KeyLines[key], b.Index)
			if b.ID != "" {
				w += " (" + b.ID + ")"
			}
			return w + "." + key
		}
		if b.ID != "" {
			where += " (" + b.ID + ")"
		}
		dir, mainDir, err := locate(root, b)
		if err != nil {
			t.Notes = append(t.Notes, Note{Where: where, What: fmt.Sprintf("left out: %v", err)})
			continue
		}
		ip, err := ImportPath(mainDir)
		if err != nil {
			t.Notes = append(t.Notes, Note{Where: where, What: fmt.Sprintf("left out: %v", err)})
			continue
		}
		s := t.image(strings.ToLower(ip))
		s.ImportPath = ip
		s.BuildID = b.ID
		s.Dir = dir
		rel, err := filepath.Rel(dir, mainDir)
		if err != nil {
			rel = mainDir
		}
		s.Main = "./" + filepath.ToSlash(rel)
		if rel == "." {
			s.Main = "."
		}
		s.Env = koEnv(t.env(at("env"), b.Env))
		s.Flags = koFlags(t.templates(at("flags"), b.Flags))
		s.Ldflags = t.templates(at("ldflags"), b.Ldflags)
		if len(b.LinuxCapabilities) > 0 {
			t.Notes = append(t.Notes, Note{
				Where: at("linux_capabilities"),
				What:  fmt.Sprintf("left out %s: gobake does not set file capabilities on the binary", strings.Join(b.LinuxCapabilities, " ")),
			})
		}
	}
	return t
}

func (t *Translation) image(key string) *ImageSettings {
	s, ok := t.Images[key]
	if !ok {
		s = &ImageSettings{ImportPath: key}
		t.Images[key] = s
	}
	return s
}

// templates translates each of ko's templates, leaving out (with a note)
// those that cannot be.
func (t *Translation) templates(where string, in []string) []string {
	var out []string
	for _, s := range in {
		tr, err := TranslateTemplate(s)
		if err != nil {
			t.Notes = append(t.Notes, Note{Where: where, What: fmt.Sprintf("left out %q: %v", s, err)})
			continue
		}
		out = append(out, tr)
	}
	return out
}

// env copies ko's env entries, which ko does not template but gobake does:
// an entry holding "{{" is left out with a note rather than misread.
func (t *Translation) env(where string, in []string) []string {
	var out []string
	for _, s := range in {
		if strings.Contains(s, "{{") {
			t.Notes = append(t.Notes, Note{Where: where, What: fmt.Sprintf("left out %q: ko does not expand templates in env, gobake would", s)})
			continue
		}
		out = append(out, s)
	}
	return out
}

// koEnv adds CGO_ENABLED=0, which ko always sets before the configured env,
// to a non-empty env list: in gobake a list replaces the default as a whole.
func koEnv(env []string) []string {
	if len(env) == 0 {
		return nil
	}
	for _, e := range env {
		if strings.HasPrefix(e, "CGO_ENABLED=") {
			return env
		}
	}
	return append([]string{"CGO_ENABLED=0"}, env...)
}

// koFlags adds -trimpath, which ko always adds, to a non-empty flag list.
func koFlags(flags []string) []string {
	if len(flags) == 0 || slices.Contains(flags, "-trimpath") || slices.Contains(flags, "--trimpath") {
		return flags
	}
	return append(flags, "-trimpath")
}

// locate returns the absolute directory go runs in and the absolute
// directory of the main package of b, following ko's defaults ("." for
// both) and allowing main to name a .go file.
func locate(root string, b KoBuild) (dir, mainDir string, err error) {
	d, m := b.Dir, b.Main
	if d == "" {
		d = "."
	}
	if m == "" {
		m = "."
	}
	dir = filepath.Join(root, filepath.FromSlash(d))
	mainDir = filepath.Join(dir, filepath.FromSlash(m))
	fi, err := os.Stat(mainDir)
	if err != nil {
		return "", "", fmt.Errorf("main %s in dir %s: %w", m, d, err)
	}
	if fi.Mode().IsRegular() {
		mainDir = filepath.Dir(mainDir)
	}
	return dir, mainDir, nil
}

// Registry translates KO_DOCKER_REPO into gobake's registry key. ko's local
// targets (ko.local, kind.local) load a Docker daemon, which gobake never
// uses: they give "" (an OCI layout) and a note.
func Registry(koDockerRepo string) (string, []Note) {
	r := strings.TrimSuffix(koDockerRepo, "/")
	switch {
	case r == "":
		return "", nil
	case r == "ko.local" || strings.HasPrefix(r, "ko.local/") || r == "kind.local" || strings.HasPrefix(r, "kind.local/"):
		return "", []Note{{
			Where: "KO_DOCKER_REPO=" + koDockerRepo,
			What:  "gobake never loads a Docker daemon; images go to the OCI layout instead (set registry: to push)",
		}}
	}
	return r, nil
}
