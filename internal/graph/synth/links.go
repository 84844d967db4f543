package synth

import (
	"fmt"
	"slices"
	"strings"
)

// link is a package a realistic main links, and a statement that keeps a
// large part of it reachable (the linker drops what no code can reach).
type link struct {
	path   string // import path
	module string // module path, "" for the standard library
	use    string // statement using the package as name
}

// links are what realistic mains link: a server's usual standard library
// (HTTP and TLS, JSON, templates, SQL, compression, images, Go parsing
// and type checking) and a few modules of gobake's own go.mod (a registry
// client, YAML, go/packages), whose versions Spec.Require gives.
var links = []link{
	{"net/http", "", `_, _ = l0.Get(os.Args[0]); _ = l0.ListenAndServe(os.Args[0], nil)`},
	{"encoding/json", "", `_, _ = l1.Marshal(os.Args)`},
	{"html/template", "", `_, _ = l2.New("").Parse(os.Args[0])`},
	{"database/sql", "", `_, _ = l3.Open(os.Args[0], os.Args[0])`},
	{"compress/gzip", "", `_, _ = l4.NewReader(os.Stdin)`},
	{"archive/zip", "", `_, _ = l5.OpenReader(os.Args[0])`},
	{"image/png", "", `_, _ = l6.Decode(os.Stdin)`},
	{"image/jpeg", "", `_, _ = l7.Decode(os.Stdin)`},
	{"go/parser", "", `_, _ = l8.ParseDir(nil, os.Args[0], nil, 0)`},
	{"go/types", "", `_, _ = (&l9.Config{}).Check(os.Args[0], nil, nil, nil)`},
	{"net/smtp", "", `_, _ = l10.Dial(os.Args[0])`},
	{"net/rpc", "", `_, _ = l11.DialHTTP("tcp", os.Args[0])`},
	{"encoding/xml", "", `_, _ = l12.Marshal(os.Args)`},
	{"regexp", "", `_, _ = l13.Compile(os.Args[0])`},
	{"github.com/google/go-containerregistry/pkg/v1/remote", "github.com/google/go-containerregistry", `_, _ = l14.Image(nil)`},
	{"github.com/google/go-containerregistry/pkg/name", "github.com/google/go-containerregistry", `_, _ = l15.ParseReference(os.Args[0])`},
	{"gopkg.in/yaml.v3", "gopkg.in/yaml.v3", `_, _ = l16.Marshal(os.Args)`},
	{"golang.org/x/tools/go/packages", "golang.org/x/tools", `_, _ = l17.Load(nil, os.Args[0])`},
	{"golang.org/x/tools/go/ssa/ssautil", "golang.org/x/tools", `p, _ := l18.AllPackages(nil, 0); p.Build()`},
	{"github.com/alecthomas/kong", "github.com/alecthomas/kong", `_ = l19.Parse(nil)`},
	{"github.com/santhosh-tekuri/jsonschema/v6", "github.com/santhosh-tekuri/jsonschema/v6", `_, _ = l20.NewCompiler().Compile(os.Args[0])`},
	{"net/http/pprof", "", `l21.Profile(nil, nil)`},
	{"encoding/gob", "", `_ = l22.NewEncoder(os.Stdout).Encode(os.Args)`},
	{"log/slog", "", `l23.Info(os.Args[0], "args", os.Args)`},
	{"debug/elf", "", `_, _ = l24.Open(os.Args[0])`},
	{"text/template", "", `_, _ = l25.New("").Parse(os.Args[0])`},
	{"go/format", "", `_, _ = l26.Source(nil)`},
	{"mime/multipart", "", `_, _ = l27.NewReader(os.Stdin, os.Args[0]).ReadForm(0)`},
}

// linksFor returns the packages main m links: every standard library
// package, and the module packages whose module s.Require gives a version.
func linksFor(s Spec) []link {
	var out []link
	for _, l := range links {
		if l.module == "" || s.Require[l.module] != "" {
			out = append(out, l)
		}
	}
	return out
}

// goMod is the go.mod of the monorepo: its module and the modules of
// s.Require (go mod tidy completes it).
func goMod(s Spec) string {
	var b strings.Builder
	goVersion := s.Go
	if goVersion == "" {
		goVersion = "1.26.0"
	}
	b.WriteString("module example.com/synth\n\ngo " + goVersion + "\n")
	if s.Realistic && len(s.Require) > 0 {
		b.WriteString("\nrequire (\n")
		for _, m := range sortedKeys(s.Require) {
			fmt.Fprintf(&b, "\t%s %s\n", m, s.Require[m])
		}
		b.WriteString(")\n")
	}
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// realisticMain is the source of a realistic main package: it calls its
// domain's packages as any main does and, behind a condition the linker
// cannot see through, uses every package of links.
func realisticMain(s Spec, rel string, imports []string) string {
	ls := linksFor(s)
	var b strings.Builder
	b.WriteString("package main\n\nimport (\n\t\"os\"\n\t\"strings\"\n")
	for i, imp := range imports {
		fmt.Fprintf(&b, "\ti%d %q\n", i, imp)
	}
	for _, l := range ls {
		fmt.Fprintf(&b, "\tl%d %q\n", indexOf(l), l.path)
	}
	b.WriteString(")\n\n// Value returns a string made from the package's imports.\nfunc Value() string {\n\tparts := []string{\"" + rel + "\"}\n")
	for i := range imports {
		fmt.Fprintf(&b, "\tparts = append(parts, i%d.Value())\n", i)
	}
	b.WriteString("\treturn strings.Join(parts, \",\")\n}\n\nfunc main() {\n\tprintln(len(Value()))\n\tif len(os.Args) > 1000 {\n")
	for _, l := range ls {
		fmt.Fprintf(&b, "\t\t%s\n", l.use)
	}
	b.WriteString("\t}\n}\n")
	return b.String()
}

// indexOf is the position of l in links, which names its import.
func indexOf(l link) int {
	return slices.IndexFunc(links, func(x link) bool { return x.path == l.path })
}
