package kocompat

import (
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// KoFileName is the name of ko's configuration file.
const KoFileName = ".ko.yaml"

// KoDefaultBaseImage is the base ko uses when .ko.yaml sets none.
const KoDefaultBaseImage = "cgr.dev/chainguard/static:latest"

// KoFile is what a .ko.yaml holds. Keys are matched case-insensitively, as
// ko's viper-based loader does.
type KoFile struct {
	Path               string
	DefaultBaseImage   string
	BaseImageOverrides []Override // in file order
	DefaultPlatforms   []string
	DefaultEnv         []string
	DefaultFlags       []string
	DefaultLdflags     []string
	Builds             []KoBuild
	// Unknown lists the keys gobake does not know, top level or in builds.
	Unknown []Note
	// KeyLines holds the line of each top-level key, lower-cased.
	KeyLines map[string]int
}

// Override is one entry of baseImageOverrides.
type Override struct {
	ImportPath string
	Base       string
	Line       int
}

// KoBuild is one entry of builds.
type KoBuild struct {
	Index             int
	Line              int
	ID                string
	Dir               string
	Main              string
	Env               []string
	Flags             []string
	Ldflags           []string
	LinuxCapabilities []string
	// KeyLines holds the line of each key of the entry, lower-cased.
	KeyLines map[string]int
}

// Note is something of .ko.yaml that gobake could not translate.
type Note struct {
	Where string // file:line and key, e.g. ".ko.yaml:12: builds[0] (api).ldflags"
	What  string // what was left out and why
}

// String formats n as "where: what".
func (n Note) String() string { return n.Where + ": " + n.What }

// ReadKoFile reads and parses the .ko.yaml at path.
func ReadKoFile(path string) (*KoFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ko config: %w", err)
	}
	f, err := ParseKoFile(path, data)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// ParseKoFile parses the contents of a .ko.yaml; path is used in messages.
func ParseKoFile(path string, data []byte) (*KoFile, error) {
	f := &KoFile{Path: path, KeyLines: map[string]int{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return f, nil // empty file
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: want a mapping at the top level", path, root.Line)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		var err error
		f.KeyLines[strings.ToLower(k.Value)] = k.Line
		switch strings.ToLower(k.Value) {
		case "defaultbaseimage":
			f.DefaultBaseImage, err = scalar(path, v)
		case "baseimageoverrides":
			f.BaseImageOverrides, err = overrides(path, v)
		case "defaultplatforms":
			f.DefaultPlatforms, err = fieldsList(path, v)
		case "defaultenv":
			f.DefaultEnv, err = fieldsList(path, v)
		case "defaultflags":
			f.DefaultFlags, err = fieldsList(path, v)
		case "defaultldflags":
			f.DefaultLdflags, err = fieldsList(path, v)
		case "builds":
			err = f.parseBuilds(v)
		default:
			f.Unknown = append(f.Unknown, Note{
				Where: fmt.Sprintf("%s:%d: %s", path, k.Line, k.Value),
				What:  "key has no gobake equivalent",
			})
		}
		if err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (f *KoFile) parseBuilds(v *yaml.Node) error {
	if v.Kind != yaml.SequenceNode {
		return fmt.Errorf("%s:%d: builds: want a list", f.Path, v.Line)
	}
	for i, n := range v.Content {
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%s:%d: builds[%d]: want a mapping", f.Path, n.Line, i)
		}
		b := KoBuild{Index: i, Line: n.Line, KeyLines: map[string]int{}}
		for j := 0; j+1 < len(n.Content); j += 2 {
			k, val := n.Content[j], n.Content[j+1]
			var err error
			b.KeyLines[strings.ToLower(k.Value)] = k.Line
			switch strings.ToLower(k.Value) {
			case "id":
				b.ID, err = scalar(f.Path, val)
			case "dir":
				b.Dir, err = scalar(f.Path, val)
			case "main":
				b.Main, err = scalar(f.Path, val)
			case "env":
				b.Env, err = list(f.Path, val)
			case "flags":
				b.Flags, err = fieldsList(f.Path, val) // ko's FlagArray splits a string on spaces
			case "ldflags":
				b.Ldflags, err = list(f.Path, val) // ko's StringArray wraps a string as is
			case "linux_capabilities":
				b.LinuxCapabilities, err = fieldsList(f.Path, val)
			default:
				f.Unknown = append(f.Unknown, Note{
					Where: fmt.Sprintf("%s:%d: builds[%d].%s", f.Path, k.Line, i, k.Value),
					What:  "key is not supported by ko nor gobake",
				})
			}
			if err != nil {
				return err
			}
		}
		f.Builds = append(f.Builds, b)
	}
	return nil
}

func scalar(path string, v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("%s:%d: want a string", path, v.Line)
	}
	return v.Value, nil
}

// list reads a list of strings; a single string is a list of one.
func list(path string, v *yaml.Node) ([]string, error) {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return nil, nil
		}
		return []string{v.Value}, nil
	case yaml.SequenceNode:
		out := make([]string, 0, len(v.Content))
		for _, e := range v.Content {
			s, err := scalar(path, e)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s:%d: want a string or a list of strings", path, v.Line)
}

// fieldsList reads a list of strings; a single string is split on white
// space, as viper's GetStringSlice and ko's FlagArray do.
func fieldsList(path string, v *yaml.Node) ([]string, error) {
	if v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
		return strings.Fields(v.Value), nil
	}
	return list(path, v)
}

func overrides(path string, v *yaml.Node) ([]Override, error) {
	if v.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: baseImageOverrides: want a mapping", path, v.Line)
	}
	var out []Override
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		base, err := scalar(path, val)
		if err != nil {
			return nil, err
		}
		out = append(out, Override{ImportPath: k.Value, Base: base, Line: k.Line})
	}
	return out, nil
}
