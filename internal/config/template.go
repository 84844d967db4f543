package config

import (
	"bytes"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/gobake/gobake/internal/gitinfo"
)

// SourceDateEpochEnv is the environment variable that pins .Date for
// reproducible builds (https://reproducible-builds.org/specs/source-date-epoch/).
const SourceDateEpochEnv = "SOURCE_DATE_EPOCH"

// BuildInfo is what every template of one build sees, whatever the image
// and platform.
type BuildInfo struct {
	Version string            // the release version; "" means DevVersion
	Git     gitinfo.Info      // facts about the source commit
	Date    string            // RFC 3339 build date, see BuildDate
	Env     map[string]string // the process environment, see EnvMap
}

// TemplateData returns the data templates see when building image for
// platform (os/arch[/variant]); platform may be "" for tags.
func (b BuildInfo) TemplateData(image, platform string) TemplateData {
	version := b.Version
	if version == "" {
		version = DevVersion
	}
	goos, rest, _ := strings.Cut(platform, "/")
	arch, _, _ := strings.Cut(rest, "/")
	return TemplateData{
		Image:    image,
		Version:  version,
		Git:      b.Git,
		Date:     b.Date,
		Env:      b.Env,
		Platform: platform,
		OS:       goos,
		Arch:     arch,
	}
}

// NewBuildInfo returns the template facts of a build made now from the
// process environment environ (KEY=VALUE pairs: .Env and
// SOURCE_DATE_EPOCH) at the source commit git, as version ("" means
// DevVersion).
func NewBuildInfo(environ []string, git gitinfo.Info, version string, now time.Time) (BuildInfo, error) {
	env := EnvMap(environ)
	date, err := BuildDate(func(k string) string { return env[k] }, git, now)
	if err != nil {
		return BuildInfo{}, err
	}
	return BuildInfo{Version: version, Git: git, Date: date, Env: env}, nil
}

// EnvMap turns KEY=VALUE pairs (os.Environ) into a map.
func EnvMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// BuildDate returns the reproducible build date, RFC 3339 in UTC:
// $SOURCE_DATE_EPOCH when set, else the commit time of git, else now.
func BuildDate(getenv func(string) string, git gitinfo.Info, now time.Time) (string, error) {
	if s := getenv(SourceDateEpochEnv); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return "", fmt.Errorf("$%s=%q is not a Unix time in seconds", SourceDateEpochEnv, s)
		}
		return time.Unix(sec, 0).UTC().Format(time.RFC3339), nil
	}
	if git.CommitTimestamp != "" {
		sec, err := strconv.ParseInt(git.CommitTimestamp, 10, 64)
		if err != nil {
			return "", fmt.Errorf("git commit timestamp %q is not a Unix time in seconds", git.CommitTimestamp)
		}
		return time.Unix(sec, 0).UTC().Format(time.RFC3339), nil
	}
	return now.UTC().Format(time.RFC3339), nil
}

// Expand renders the templates of s (env, flags, ldflags, label and
// annotation values) with data. Every failing template is reported, each
// naming its field.
func (s Settings) Expand(data TemplateData) (Settings, error) {
	p := &problems{}
	out := s
	out.Env = renderList(p, "env", s.Env, data)
	out.Flags = renderList(p, "flags", s.Flags, data)
	out.Ldflags = renderList(p, "ldflags", s.Ldflags, data)
	out.Labels = renderMap(p, "labels", s.Labels, data)
	out.Annotations = renderMap(p, "annotations", s.Annotations, data)
	out.Platforms = slices.Clone(s.Platforms)
	if err := p.err(); err != nil {
		return Settings{}, err
	}
	return out, nil
}

// ExpandTags renders tag templates with data, drops tags that render empty
// (e.g. "{{.Git.Tag}}" on an untagged commit) and duplicates, and checks
// that the rest are valid tags.
func ExpandTags(tags []string, data TemplateData) ([]string, error) {
	p := &problems{}
	var out []string
	for i, t := range tags {
		field := indexPath("tags", i)
		s, err := render(t, data)
		if err != nil {
			p.add(0, 0, field, "%v", err)
			continue
		}
		switch {
		case s == "":
		case !validTag(s):
			p.add(0, 0, field, "%q renders to %q, which is not a valid tag", t, s)
		case !slices.Contains(out, s):
			out = append(out, s)
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Expand renders the settings and the tags of img with data; .Platform, .OS
// and .Arch are blank in tags.
func (img Image) Expand(data TemplateData) (Image, error) {
	p := &problems{}
	out := img
	s, err := img.Settings.Expand(data)
	if err != nil {
		p.errs = append(p.errs, Errors(err)...)
	} else {
		out.Settings = s
	}
	tagData := data
	tagData.Platform, tagData.OS, tagData.Arch = "", "", ""
	tags, err := ExpandTags(img.Tags, tagData)
	if err != nil {
		p.errs = append(p.errs, Errors(err)...)
	} else {
		out.Tags = tags
	}
	if err := p.err(); err != nil {
		return Image{}, fmt.Errorf("image %s: %w", img.Name, err)
	}
	return out, nil
}

// renderList renders each template of a list, naming field[i] in errors.
func renderList(p *problems, field string, in []string, data TemplateData) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, t := range in {
		s, err := render(t, data)
		if err != nil {
			p.add(0, 0, indexPath(field, i), "%v", err)
		}
		out[i] = s
	}
	return out
}

// renderMap renders each value of a map, naming field.key in errors.
func renderMap(p *problems, field string, in map[string]string, data TemplateData) map[string]string {
	if in == nil {
		return nil
	}
	out := make(map[string]string, len(in))
	for _, k := range slices.Sorted(maps.Keys(in)) {
		s, err := render(in[k], data)
		if err != nil {
			p.add(0, 0, joinPath(field, k), "%v", err)
		}
		out[k] = s
	}
	return out
}

// render executes one template; a missing key is an error. The caller names
// the field in its error.
func render(text string, data TemplateData) (string, error) {
	if !strings.Contains(text, "{{") {
		return text, nil
	}
	const name = "t"
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("bad template %q: %s", text, trimTemplateErr(name, err))
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("template %q: %s", text, trimTemplateErr(name, err))
	}
	return b.String(), nil
}

// trimTemplateErr drops text/template's "template: NAME:LINE:COL: executing
// ... at <...>:" prefix, which repeats what the caller already says.
func trimTemplateErr(name string, err error) string {
	msg := strings.TrimPrefix(err.Error(), "template: "+name+":")
	if i := strings.Index(msg, "executing \""+name+"\" at <"); i >= 0 {
		if j := strings.Index(msg[i:], ">: "); j >= 0 {
			return msg[i+j+3:]
		}
	}
	// "LINE: msg" or "LINE:COL: msg" from the parser.
	if i := strings.Index(msg, ": "); i >= 0 && strings.Trim(msg[:i], "0123456789:") == "" {
		return msg[i+2:]
	}
	return msg
}

var templateDataType = reflect.TypeFor[TemplateData]()

// checkTemplate parses text and checks every field it refers to against
// TemplateData, then executes it against sample data. It returns "" when
// the template is fine, else what is wrong. References into .Env are only
// checked when rendering.
func checkTemplate(text, image string) string {
	if !strings.Contains(text, "{{") {
		return ""
	}
	const name = "t"
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return "bad template: " + trimTemplateErr(name, err)
	}
	c := &fieldChecker{env: map[string]string{}}
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			c.node(tt.Tree.Root, templateDataType)
		}
	}
	if c.problem != "" {
		return c.problem
	}
	data := sampleData(image)
	data.Env = c.env
	if err := t.Execute(new(bytes.Buffer), data); err != nil {
		return "template: " + trimTemplateErr(name, err)
	}
	return ""
}

// UsesGit reports whether any of the templates may read the facts about
// the source commit: a .Git field, .Date (the commit time unless
// $SOURCE_DATE_EPOCH is set), the whole data (. or $ alone), or a field
// of a value of unknown type. A template that does not parse counts as
// reading them: rendering it reports the error. Commands that render no
// such template need not ask git.
func UsesGit(templates ...string) bool {
	for _, text := range templates {
		if !strings.Contains(text, "{{") {
			continue
		}
		t, err := template.New("t").Parse(text)
		if err != nil {
			return true
		}
		c := &fieldChecker{env: map[string]string{}}
		for _, tt := range t.Templates() {
			if tt.Tree != nil {
				c.node(tt.Tree.Root, templateDataType)
			}
		}
		if c.git || c.problem != "" {
			return true
		}
	}
	return false
}

// sampleData is TemplateData with every field set, for checking templates.
func sampleData(image string) TemplateData {
	return TemplateData{
		Image:   image,
		Version: "1.2.3",
		Git: gitinfo.Info{
			Commit:          "0123456789abcdef0123456789abcdef01234567",
			ShortCommit:     "0123456",
			Branch:          "main",
			Tag:             "v1.2.3",
			TreeState:       "clean",
			CommitTimestamp: "1700000000",
		},
		Date:     "2023-11-14T22:13:20Z",
		Platform: "linux/amd64",
		OS:       "linux",
		Arch:     "amd64",
	}
}

// fieldChecker walks a template's parse tree, tracking the type of dot, and
// records the first reference to a field TemplateData does not have. It also
// collects the .Env keys referred to.
type fieldChecker struct {
	problem string
	env     map[string]string
	git     bool // the template may read .Git or .Date, see UsesGit
}

// node checks a template node with dot of type dot (nil: unknown).
func (c *fieldChecker) node(n parse.Node, dot reflect.Type) {
	if n == nil || c.problem != "" {
		return
	}
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, m := range n.Nodes {
			c.node(m, dot)
		}
	case *parse.ActionNode:
		c.pipe(n.Pipe, dot)
	case *parse.IfNode:
		c.pipe(n.Pipe, dot)
		c.node(n.List, dot)
		c.node(n.ElseList, dot)
	case *parse.WithNode:
		inner := c.pipe(n.Pipe, dot)
		c.node(n.List, inner)
		c.node(n.ElseList, dot)
	case *parse.RangeNode:
		t := c.pipe(n.Pipe, dot)
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Map || t.Kind() == reflect.Slice) {
			elem = t.Elem()
		}
		c.node(n.List, elem)
		c.node(n.ElseList, dot)
	case *parse.TemplateNode:
		c.pipe(n.Pipe, dot)
	}
}

// pipe checks a pipeline and returns its type when it is a plain field
// reference, else nil (unknown).
func (c *fieldChecker) pipe(p *parse.PipeNode, dot reflect.Type) reflect.Type {
	if p == nil {
		return nil
	}
	var last reflect.Type
	for _, cmd := range p.Cmds {
		last = nil
		for _, arg := range cmd.Args {
			t := c.arg(arg, dot)
			if len(cmd.Args) == 1 {
				last = t
			}
		}
	}
	if len(p.Cmds) != 1 || len(p.Decl) > 0 {
		return nil
	}
	return last
}

// arg checks one argument of a command and returns its type, nil when unknown.
func (c *fieldChecker) arg(n parse.Node, dot reflect.Type) reflect.Type {
	switch n := n.(type) {
	case *parse.FieldNode:
		return c.fields(dot, n.Ident, "")
	case *parse.VariableNode:
		if n.Ident[0] == "$" {
			if len(n.Ident) == 1 {
				c.git = true // the whole data
			}
			return c.fields(templateDataType, n.Ident[1:], "$")
		}
	case *parse.DotNode:
		if dot == nil || dot == templateDataType {
			c.git = true // maybe the whole data
		}
		return dot
	case *parse.PipeNode:
		c.pipe(n, dot)
	case *parse.ChainNode:
		c.arg(n.Node, dot)
	}
	return nil
}

// fields follows a chain of field names from t, recording unknown fields.
func (c *fieldChecker) fields(t reflect.Type, idents []string, prefix string) reflect.Type {
	path := prefix
	for i, id := range idents {
		if t == nil {
			if i == 0 {
				c.git = true // a field of a dot of unknown type: maybe .Git
			}
			return nil
		}
		if t == templateDataType && (id == "Git" || id == "Date") {
			c.git = true
		}
		path += "." + id
		if t == templateDataType && id == "Env" && i+1 < len(idents) {
			c.env[idents[i+1]] = "x"
		}
		switch t.Kind() {
		case reflect.Struct:
			f, ok := t.FieldByName(id)
			if !ok || !f.IsExported() {
				c.problem = fmt.Sprintf("unknown template field %s (known: %s)", path, knownFields(t, strings.TrimSuffix(path, "."+id)))
				return nil
			}
			t = f.Type
		case reflect.Map:
			t = t.Elem()
		default:
			c.problem = fmt.Sprintf("template field %s: %s is a %s and has no fields", path, strings.TrimSuffix(path, "."+id), t)
			return nil
		}
	}
	return t
}

// knownFields lists the fields of struct t as template references.
func knownFields(t reflect.Type, prefix string) string {
	var names []string
	for f := range t.Fields() {
		if f.IsExported() {
			names = append(names, prefix+"."+f.Name)
		}
	}
	return strings.Join(names, ", ")
}
