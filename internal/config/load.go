package config

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/gobake/gobake/internal/platform"
)

// Built-in defaults, used where neither defaults nor the image set a key.
const (
	DefaultBase = "cgr.dev/chainguard/static:latest" // ko's default base
	DefaultUser = "65532"                            // the "nonroot" user of distroless images
	DefaultTag  = "latest"
)

// Layer compressions (settings key compression); "" is gzip.
const (
	CompressionGzip = "gzip"
	CompressionZstd = "zstd"
)

// BuiltinDefaults returns gobake's built-in defaults for the defaults stanza.
func BuiltinDefaults() Settings {
	return Settings{
		Base:      DefaultBase,
		Platforms: []string{"linux/amd64"},
		Env:       []string{"CGO_ENABLED=0"},
		Flags:     []string{"-trimpath"},
		User:      DefaultUser,
	}
}

// ExtensionPrefix starts top-level keys that gobake ignores, a place to
// define YAML anchors (x-common: &common ...).
const ExtensionPrefix = "x-"

// LoadOption changes how Load works.
type LoadOption func(*loadOptions)

type loadOptions struct {
	getenv   func(string) string
	registry string
}

// WithGetenv sets the function Load reads environment variables
// ($GOBAKE_REGISTRY) with; the default is os.Getenv.
func WithGetenv(getenv func(string) string) LoadOption {
	return func(o *loadOptions) { o.getenv = getenv }
}

// WithRegistry sets the registry of a --registry flag: when not empty it
// wins over $GOBAKE_REGISTRY and the registry key (see imageref.Choose).
func WithRegistry(registry string) LoadOption {
	return func(o *loadOptions) { o.registry = registry }
}

// Load reads, defaults and validates the gobake.yaml at path. Every problem
// is reported at once: the error holds one *Error per problem (see Errors),
// and its message is one "file:line:col: key: problem" line per problem.
func Load(path string, opts ...LoadOption) (*Config, error) {
	o := loadOptions{getenv: os.Getenv}
	for _, opt := range opts {
		opt(&o)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	root := filepath.Dir(abs)
	rootReal, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	w := &walker{p: &problems{file: path}, root: root, rootReal: rootReal, getenv: o.getenv}

	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		line, col, msg := syntaxPosition(src, err)
		w.p.add(line, col, "", "%s", msg)
		return nil, w.p.err()
	}
	raw := w.document(&doc)
	cfg := w.resolve(raw, o)
	cfg.Path = abs
	if err := w.p.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line \d+: `)

// syntaxPosition finds where a yaml.v3 syntax error is. yaml.v3 names at
// best the line a surrounding block starts on, so the problem line is found
// as the line after the longest prefix of the file that parses (see
// syntaxLine); the column is that of the line's first non-blank character.
func syntaxPosition(src []byte, err error) (line, col int, msg string) {
	msg = yamlLineRE.ReplaceAllString(err.Error(), "")
	msg = strings.TrimPrefix(msg, "yaml: ")
	lines := bytes.SplitAfter(src, []byte("\n"))
	// A tab in indentation is a common mistake: point at column 1 then.
	line = syntaxLine(src, lines, parseYAML)
	col = 1
	if line <= len(lines) {
		if i := bytes.IndexFunc(lines[line-1], func(r rune) bool { return r != ' ' }); i >= 0 {
			col = i + 1
		}
	}
	return line, col, "YAML syntax error: " + msg
}

// parseYAML parses src as yaml.Unmarshal does, and returns how many bytes
// of src the parser had read when it stopped.
func parseYAML(src []byte) (read int, err error) {
	r := &countingReader{r: bytes.NewReader(src)}
	var doc yaml.Node
	err = yaml.NewDecoder(r).Decode(&doc)
	if err == io.EOF { // an empty document, which Unmarshal accepts
		err = nil
	}
	return r.n, err
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// syntaxLine returns the 1-based line of the syntax error in src (split
// into lines): the line after the longest prefix of whole lines that
// parses. It takes O(log n) parses, not one per line, so that an error
// near the top of a long file is found in about linear time:
//
//   - the parser reads the input in small chunks and stops at the error, so
//     every prefix holding all it read fails as the whole file does; the
//     answer is below the line where its reading stopped (the end of the
//     file for an unclosed quote);
//   - below that, prefixes are tried 1, 2, 4, 8… lines further up until
//     one parses, then the boundary is bisected.
//
// It assumes, as the line-by-line search did, that prefixes up to the
// error parse and longer ones do not; a multi-line flow collection or
// quoted string closed before the error can break that and move the line
// reported to where it starts.
func syntaxLine(src []byte, lines [][]byte, parse func([]byte) (int, error)) int {
	end := make([]int, len(lines)+1) // end[n]: length of the first n lines
	for i, l := range lines {
		end[i+1] = end[i] + len(l)
	}
	parses := func(n int) bool {
		_, err := parse(src[:end[n]])
		return err == nil
	}
	// hi: the fewest lines holding everything the parser read; that prefix
	// fails (the whole file when the parser read it all).
	read, err := parse(src)
	hi := len(lines)
	if err != nil && read < len(src) {
		hi = sort.SearchInts(end, read)
	}
	if hi >= len(lines) {
		hi = len(lines) // the old search never tried the whole file either
	}
	lo := 0 // the empty prefix parses
	for step := 1; hi-step > 0; step *= 2 {
		if parses(hi - step) {
			lo = hi - step
			break
		}
		hi -= step
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if parses(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo + 1
}

// walker decodes the YAML node tree, recording problems as it goes.
type walker struct {
	p        *problems
	root     string // absolute directory of the config
	rootReal string // root with symlinks resolved
	getenv   func(string) string
}

// rawSettings is the defaults stanza or the settings of an image, as written.
type rawSettings struct {
	base                *strVal
	platforms           *listVal
	env, flags, ldflags *listVal
	user                *strVal
	compression         *strVal
	labels, annotations *mapVal
}

// rawImage is one entry of images, as written.
type rawImage struct {
	name                                string
	key                                 *yaml.Node
	path                                string
	main, dir, data, binary, repository *strVal
	tags                                *listVal
	settings                            rawSettings
	mainWritten                         bool // main is set, maybe to a bad value
}

// rawConfig is gobake.yaml as written.
type rawConfig struct {
	root     *yaml.Node
	version  *yaml.Node
	registry *strVal
	defaults rawSettings
	tags     *listVal
	bases    map[string]string
	baseKeys []strVal
	images   []*rawImage
	release  *rawRelease
	gitops   *rawGitOps
	sign     *rawSign
}

// decoder decodes the value of one key into a T.
type decoder[T any] func(w *walker, path string, n *yaml.Node, dst *T)

// topFields are the keys of the top level of gobake.yaml.
var topFields = map[string]decoder[rawConfig]{
	"version": func(w *walker, path string, n *yaml.Node, c *rawConfig) {
		c.version = deref(n)
		w.version(path, c.version)
	},
	"registry": func(w *walker, path string, n *yaml.Node, c *rawConfig) {
		if s, ok := w.str(path, n); ok {
			c.registry = &s
			if err := checkRegistry(s.v); err != nil {
				w.p.add(s.n.Line, s.n.Column, path, "%v", err)
			}
		}
	},
	"defaults": func(w *walker, path string, n *yaml.Node, c *rawConfig) {
		walkFields(w, path, n, settingsFields, &c.defaults)
	},
	"tags": func(w *walker, path string, n *yaml.Node, c *rawConfig) {
		c.tags = w.tags(path, n, "example")
	},
	"bases": func(w *walker, path string, n *yaml.Node, c *rawConfig) {
		w.bases(path, n, c)
	},
	"images": func(w *walker, path string, n *yaml.Node, c *rawConfig) {
		w.images(path, n, c)
	},
	"gitops": func(w *walker, path string, n *yaml.Node, c *rawConfig) {
		c.gitops = w.gitOps(path, n)
	},
	"release": func(w *walker, path string, n *yaml.Node, c *rawConfig) {
		w.release(path, n, c)
	},
	"sign": func(w *walker, path string, n *yaml.Node, c *rawConfig) {
		w.sign(path, n, c)
	},
}

// settingsFields are the keys of defaults, also accepted in every image.
var settingsFields = map[string]decoder[rawSettings]{
	"base": func(w *walker, path string, n *yaml.Node, s *rawSettings) {
		if v, ok := w.str(path, n); ok {
			s.base = &v
		}
	},
	"platforms": func(w *walker, path string, n *yaml.Node, s *rawSettings) {
		if l, ok := w.list(path, n); ok {
			s.platforms = l
			w.platforms(path, l)
		}
	},
	"env": func(w *walker, path string, n *yaml.Node, s *rawSettings) {
		if l, ok := w.list(path, n); ok {
			s.env = l
			for i, item := range l.items {
				if k, _, ok := strings.Cut(item.v, "="); !ok || k == "" {
					w.p.add(item.n.Line, item.n.Column, indexPath(path, i), "%q is not KEY=VALUE", item.v)
					continue
				}
				w.template(indexPath(path, i), item, "example")
			}
		}
	},
	"flags": func(w *walker, path string, n *yaml.Node, s *rawSettings) {
		s.flags = w.templateList(path, n, "example")
	},
	"ldflags": func(w *walker, path string, n *yaml.Node, s *rawSettings) {
		s.ldflags = w.templateList(path, n, "example")
	},
	"user": func(w *walker, path string, n *yaml.Node, s *rawSettings) {
		n = deref(n)
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
			s.user = &strVal{n.Value, n} // a numeric uid
			return
		}
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
			w.p.add(n.Line, n.Column, path, "must be a string or a numeric uid, got %s", describe(n))
			return
		}
		s.user = &strVal{n.Value, n}
	},
	"compression": func(w *walker, path string, n *yaml.Node, s *rawSettings) {
		s.compression = w.checkedStr(path, n, func(v string) string {
			if v != CompressionGzip && v != CompressionZstd {
				return fmt.Sprintf("%q is not a layer compression (gzip or zstd)", v)
			}
			return ""
		})
	},
	"labels": func(w *walker, path string, n *yaml.Node, s *rawSettings) {
		s.labels = w.templateMap(path, n, "example")
	},
	"annotations": func(w *walker, path string, n *yaml.Node, s *rawSettings) {
		s.annotations = w.templateMap(path, n, "example")
	},
}

// imageFields are the keys of an entry of images: its own and those of defaults.
var imageFields = func() map[string]decoder[rawImage] {
	strField := func(set func(*rawImage, *strVal)) decoder[rawImage] {
		return func(w *walker, path string, n *yaml.Node, img *rawImage) {
			if v, ok := w.str(path, n); ok {
				set(img, &v)
			}
		}
	}
	m := map[string]decoder[rawImage]{
		"main": func(w *walker, path string, n *yaml.Node, img *rawImage) {
			img.mainWritten = true
			if v, ok := w.str(path, n); ok {
				img.main = &v
			}
		},
		"dir":        strField(func(img *rawImage, v *strVal) { img.dir = v }),
		"data":       strField(func(img *rawImage, v *strVal) { img.data = v }),
		"binary":     strField(func(img *rawImage, v *strVal) { img.binary = v }),
		"repository": strField(func(img *rawImage, v *strVal) { img.repository = v }),
		"tags": func(w *walker, path string, n *yaml.Node, img *rawImage) {
			img.tags = w.tags(path, n, img.name)
		},
	}
	for k, f := range settingsFields {
		m[k] = func(w *walker, path string, n *yaml.Node, img *rawImage) { f(w, path, n, &img.settings) }
	}
	return m
}()

// walkFields decodes a mapping whose keys are those of fields, reporting
// unknown keys.
func walkFields[T any](w *walker, path string, n *yaml.Node, fields map[string]decoder[T], dst *T) {
	ps, ok := w.pairs(path, n)
	if !ok {
		return
	}
	for _, p := range ps {
		kp := joinPath(path, p.key.Value)
		f, known := fields[p.key.Value]
		if !known && path == "" && strings.HasPrefix(p.key.Value, ExtensionPrefix) {
			continue // a place for YAML anchors
		}
		if !known {
			w.p.add(p.key.Line, p.key.Column, kp, "%s", unknownKey(p.key.Value, slices.Sorted(maps.Keys(fields))))
			continue
		}
		f(w, kp, p.value, dst)
	}
}

// unknownKey says that key is not one of known, suggesting the closest.
func unknownKey(key string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(key), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown key (did you mean %s?)", best)
	}
	return "unknown key (known: " + strings.Join(known, ", ") + ")"
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// document decodes the whole file.
func (w *walker) document(doc *yaml.Node) *rawConfig {
	c := &rawConfig{bases: map[string]string{}}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		w.p.add(1, 1, "", "the file is empty; it must start with version: 1")
		return c
	}
	c.root = deref(doc.Content[0])
	if c.root.Kind != yaml.MappingNode {
		w.p.add(c.root.Line, c.root.Column, "", "must be a mapping of keys, got %s", describe(c.root))
		return c
	}
	walkFields(w, "", c.root, topFields, c)
	if c.version == nil {
		w.p.add(c.root.Line, c.root.Column, "version", "missing; gobake.yaml must set version: 1")
	}
	return c
}

// version checks that the version is the integer 1.
func (w *walker) version(path string, n *yaml.Node) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		w.p.add(n.Line, n.Column, path, "must be the integer 1, got %s", describe(n))
		return
	}
	if v, err := strconv.Atoi(n.Value); err != nil || v != 1 {
		w.p.add(n.Line, n.Column, path, "unsupported version %s; this gobake reads version 1", n.Value)
	}
}

// platforms checks a list of platforms.
func (w *walker) platforms(path string, l *listVal) {
	if len(l.items) == 0 {
		w.p.add(l.n.Line, l.n.Column, path, "must list at least one platform")
		return
	}
	seen := map[string]bool{}
	for i, item := range l.items {
		ip := indexPath(path, i)
		switch {
		case item.v == AllPlatforms:
			if len(l.items) > 1 {
				w.p.add(item.n.Line, item.n.Column, ip, "%q must be the only platform", AllPlatforms)
			}
		case seen[item.v]:
			w.p.add(item.n.Line, item.n.Column, ip, "%q is listed twice", item.v)
		default:
			if _, err := platform.Check(item.v); err != nil {
				w.p.add(item.n.Line, item.n.Column, ip, "%v", err)
			}
		}
		seen[item.v] = true
	}
}

// template checks one template string.
func (w *walker) template(path string, s strVal, image string) {
	if msg := checkTemplate(s.v, image); msg != "" {
		w.p.add(s.n.Line, s.n.Column, path, "%s", msg)
	}
}

// templateList decodes a list of templates.
func (w *walker) templateList(path string, n *yaml.Node, image string) *listVal {
	l, ok := w.list(path, n)
	if !ok {
		return nil
	}
	for i, item := range l.items {
		w.template(indexPath(path, i), item, image)
	}
	return l
}

// templateMap decodes a mapping of keys to templates.
func (w *walker) templateMap(path string, n *yaml.Node, image string) *mapVal {
	m, ok := w.strMap(path, n)
	if !ok {
		return nil
	}
	for i, v := range m.values {
		w.template(joinPath(path, m.keys[i].v), v, image)
	}
	return m
}

// tags decodes a list of tag templates; tags without templates must be valid.
func (w *walker) tags(path string, n *yaml.Node, image string) *listVal {
	l, ok := w.list(path, n)
	if !ok {
		return nil
	}
	for i, item := range l.items {
		ip := indexPath(path, i)
		if !strings.Contains(item.v, "{{") {
			if !validTag(item.v) {
				w.p.add(item.n.Line, item.n.Column, ip, "%q is not a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})", item.v)
			}
			continue
		}
		w.template(ip, item, image)
	}
	return l
}

// bases decodes the named base images.
func (w *walker) bases(path string, n *yaml.Node, c *rawConfig) {
	ps, ok := w.pairs(path, n)
	if !ok {
		return
	}
	for _, p := range ps {
		kp := joinPath(path, p.key.Value)
		if !IsBaseName(p.key.Value) {
			w.p.add(p.key.Line, p.key.Column, kp, "a base name must be a bare word: no /, :, @ or ., and not %s", Scratch)
			continue
		}
		v, ok := w.str(kp, p.value)
		if !ok {
			continue
		}
		if err := checkBaseRef(v.v); err != nil {
			w.p.add(v.n.Line, v.n.Column, kp, "%v", err)
			continue
		}
		c.bases[p.key.Value] = v.v
		c.baseKeys = append(c.baseKeys, strVal{p.key.Value, p.key})
	}
}

// images decodes the images mapping.
func (w *walker) images(path string, n *yaml.Node, c *rawConfig) {
	ps, ok := w.pairs(path, n)
	if !ok {
		return
	}
	for _, p := range ps {
		img := &rawImage{name: p.key.Value, key: p.key, path: joinPath(path, p.key.Value)}
		if !validComponent(img.name) {
			w.p.add(p.key.Line, p.key.Column, img.path, "image name %q is not a valid repository name component (lowercase letters, digits and single separators . _ __ -)", img.name)
		}
		if deref(p.value).Kind != yaml.MappingNode {
			w.p.add(p.value.Line, p.value.Column, img.path, "must be a mapping with at least main, got %s", describe(deref(p.value)))
			continue
		}
		walkFields(w, img.path, p.value, imageFields, img)
		c.images = append(c.images, img)
	}
}
