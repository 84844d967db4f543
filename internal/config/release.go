package config

import (
	"github.com/Masterminds/semver/v3"
	"gopkg.in/yaml.v3"

	"github.com/gobake/gobake/internal/reltag"
)

// Release is the release stanza: how `gobake release` versions and tags
// images, with defaults applied.
type Release struct {
	TagTemplate    string   // git tag of an image's release (.Image, .Version); default reltag.DefaultTemplate
	InitialVersion string   // version of an image's first release, X.Y.Z; default reltag.DefaultInitial
	Tags           []string // image tags a release moves besides the version's own (templates); default ["latest"]
}

// DefaultRelease returns the release stanza when gobake.yaml sets none.
func DefaultRelease() Release {
	return Release{
		TagTemplate:    reltag.DefaultTemplate,
		InitialVersion: reltag.DefaultInitial,
		Tags:           []string{DefaultTag},
	}
}

// rawRelease is the release stanza as written.
type rawRelease struct {
	tagTemplate, initialVersion *strVal
	tags                        *listVal
}

// releaseFields are the keys of release.
var releaseFields = map[string]decoder[rawRelease]{
	"tagTemplate": func(w *walker, path string, n *yaml.Node, r *rawRelease) {
		if s, ok := w.str(path, n); ok {
			r.tagTemplate = &s
			if err := reltag.Check(s.v); err != nil {
				w.p.add(s.n.Line, s.n.Column, path, "%v", err)
			}
		}
	},
	"initialVersion": func(w *walker, path string, n *yaml.Node, r *rawRelease) {
		s, ok := w.str(path, n)
		if !ok {
			return
		}
		r.initialVersion = &s
		v, err := semver.StrictNewVersion(s.v)
		switch {
		case err != nil:
			w.p.add(s.n.Line, s.n.Column, path, "%q is not a semantic version X.Y.Z (no leading v)", s.v)
		case v.Prerelease() != "" || v.Metadata() != "":
			w.p.add(s.n.Line, s.n.Column, path, "%q must be a plain X.Y.Z, without pre-release or build metadata", s.v)
		}
	},
	"tags": func(w *walker, path string, n *yaml.Node, r *rawRelease) {
		r.tags = w.tags(path, n, "example")
	},
}

// release decodes the release stanza.
func (w *walker) release(path string, n *yaml.Node, c *rawConfig) {
	c.release = &rawRelease{}
	walkFields(w, path, n, releaseFields, c.release)
}

// resolveRelease applies the defaults to the release stanza as written.
func resolveRelease(r *rawRelease) Release {
	out := DefaultRelease()
	if r == nil {
		return out
	}
	setStr(&out.TagTemplate, r.tagTemplate)
	setStr(&out.InitialVersion, r.initialVersion)
	if r.tags != nil {
		out.Tags = values(r.tags)
	}
	return out
}
