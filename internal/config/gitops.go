package config

import (
	"bytes"
	"text/template"
)

// GitOps is the gitops stanza: the deployment repository a release writes
// the new image references to, in one commit.
type GitOps struct {
	Repo    string         // URL of the deployment repository, or an absolute local path (a relative one is resolved from Root)
	Branch  string         // branch committed to; default DefaultGitOpsBranch
	Message string         // commit message template, see GitOpsMessageData; default DefaultGitOpsMessage
	Pin     Pin            // how references are pinned; default PinDigest
	Targets []GitOpsTarget // files to edit, at least one
	// Changelog is the path template of each image's changelog in the
	// deployment repository ({{.Image}}: the image name), to which the
	// release commit adds the image's release notes; "" for none.
	Changelog string
}

// ChangelogData is what the gitops changelog path template sees.
type ChangelogData struct {
	Image string // image name in gobake.yaml
}

// ChangelogPath renders the changelog path template tmpl for image.
func ChangelogPath(tmpl, image string) (string, error) {
	t, err := template.New("changelog").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, ChangelogData{Image: image}); err != nil {
		return "", err
	}
	return b.String(), nil
}

// GitOpsTarget is one file, or glob of files, of the deployment repository.
type GitOpsTarget struct {
	File string               // path or glob (path.Match syntax), slash-separated, relative to the deployment repository
	Helm map[string]HelmPaths // Helm values: image name to YAML paths; nil for kustomizations and manifests
}

// HelmPaths are the YAML paths (.image.tag) of one image in Helm values.
// Each is "" when not set; Tag or Digest is set.
type HelmPaths struct {
	Repository string // set to the image's full repository (registry/repository)
	Tag        string // set to the tag, or tag@digest when the pin wants a digest and Digest is ""
	Digest     string // set to the digest, "" with pin: tag
}

// Pin says how a release writes an image reference.
type Pin string

// The pins: repo:tag, repo@digest, or repo:tag@digest.
const (
	PinTag       Pin = "tag"
	PinDigest    Pin = "digest"
	PinTagDigest Pin = "tag+digest"
)

// Pins lists the valid values of gitops.pin.
func Pins() []Pin { return []Pin{PinTag, PinDigest, PinTagDigest} }

// Defaults of the gitops stanza.
const (
	DefaultGitOpsBranch  = "main"
	DefaultGitOpsMessage = "release: {{range $i, $img := .Images}}{{if $i}}, {{end}}{{$img.Name}} {{$img.Version}}{{end}}"
	DefaultGitOpsPin     = PinDigest
)

// GitOpsMessageData is what the gitops message template sees.
type GitOpsMessageData struct {
	Images []GitOpsImageData // the images the commit changes, sorted by name
}

// GitOpsImageData is one image of a gitops commit.
type GitOpsImageData struct {
	Name      string // image name in gobake.yaml
	Version   string // release version
	Old       string // reference (or tag) found in the files before; several are joined with ", "
	New       string // reference written, as pinned
	Digest    string // manifest digest, sha256:…
	Reference string // full reference repository:tag@digest
	Notes     string // release notes: the commits that drove the version, grouped, as plain text; "" when none
}
