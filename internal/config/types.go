// Package config loads, defaults, validates and renders gobake.yaml.
package config

import "github.com/gobake/gobake/internal/gitinfo"

// FileName is the name of the configuration file at a repository's root.
const FileName = "gobake.yaml"

// RegistryEnv overrides the registry key of gobake.yaml when set.
const RegistryEnv = "GOBAKE_REGISTRY"

// DefaultLayoutDir is where images go, relative to the config's directory,
// when no registry is configured.
const DefaultLayoutDir = ".gobake/oci"

// DevVersion is the value of .Version outside a release.
const DevVersion = "0.0.0-dev"

// Config is a loaded and validated gobake.yaml with defaults applied.
type Config struct {
	Path     string            // absolute path of the file that was loaded
	Root     string            // absolute directory holding the file: the repository root
	Registry string            // registry/prefix images are pushed under; "" means an OCI layout
	Bases    map[string]string // named base images, as written
	Defaults Settings          // the defaults stanza, with gobake's built-in defaults filled in
	Tags     []string          // tags moved on every push to a registry (templates); default ["latest"]
	Images   []Image           // every image, sorted by name, defaults merged in
	GitOps   *GitOps           // the gitops stanza; nil when absent
	Release  Release           // the release stanza, defaults applied (see release.go)
	Sign     *Sign             // the sign stanza (see sign.go); nil when absent
}

// Load reads, defaults and validates the gobake.yaml at path. It is
// implemented in load.go:
//
//	func Load(path string, opts ...LoadOption) (*Config, error)
//
// Every problem found is reported at once; each names file:line:col and key.

// Settings are the keys that `defaults` sets and each image may override.
// Lists replace the default as a whole; maps are merged key by key.
// Env, Flags, Ldflags, Labels and Annotations are templates (see TemplateData).
type Settings struct {
	Base        string            // name from bases, image reference, "scratch", or oci:PATH[:TAG|@DIGEST]
	Platforms   []string          // os/arch[/variant], or the single value "all"
	Env         []string          // KEY=VALUE for go build
	Flags       []string          // go build flags
	Ldflags     []string          // -ldflags, joined with spaces
	User        string            // image config user
	Compression string            // layer compression: CompressionGzip or CompressionZstd
	Labels      map[string]string // image config labels
	Annotations map[string]string // manifest annotations
}

// Image is one image of the repository, with defaults merged in.
type Image struct {
	Name       string   // key under images
	Main       string   // package main, as written: relative to Dir (./services/api/cmd/api) or an import path (IsImportPathMain)
	Dir        string   // absolute directory where go runs
	Data       string   // absolute static-files directory, "" when none
	Binary     string   // binary name under /ko-app
	Repository string   // repository name under the registry
	Settings            // effective settings (defaults merged in, base name not yet resolved)
	BaseRef    string   // Base resolved through bases: "scratch", an image reference, or oci:ABSPATH[:TAG|@DIGEST]
	Tags       []string // tags moved on every push to a registry (templates): the image's own, else Config.Tags
}

// TemplateData is what templates in env, flags, ldflags, labels and
// annotations see. A reference to a missing key is an error.
type TemplateData struct {
	Image    string            // image name
	Version  string            // the image's version; DevVersion outside a release
	Git      gitinfo.Info      // facts about the source commit
	Date     string            // RFC 3339 build date: SOURCE_DATE_EPOCH, else the commit time, else now
	Env      map[string]string // the process environment
	Platform string            // os/arch[/variant] being built
	OS       string            // GOOS being built
	Arch     string            // GOARCH being built
}
