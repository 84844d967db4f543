package release

import (
	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gobake/gobake/internal/release/version"
)

// ReportSchema is the version of the JSON Report (--output); fields are
// only ever added.
const ReportSchema = 1

// Report is what a release did, or would do with DryRun. It is written as
// JSON by --output.
type Report struct {
	Schema   int           `json:"schema"`
	Commit   string        `json:"commit"`   // the source commit released
	DryRun   bool          `json:"dryRun"`   // nothing was pushed
	Released bool          `json:"released"` // every step succeeded and at least one image was released (false in a dry run)
	Images   []Image       `json:"images"`   // the images released (or to be), in configuration order
	Skipped  []Skipped     `json:"skipped"`  // the selected images with nothing to release
	GitOps   *GitOpsReport `json:"gitops,omitempty"`
	GitTags  []string      `json:"gitTags"`          // git tags of the release, on the source remote (claimed before any version tag moves)
	Remote   string        `json:"remote,omitempty"` // remote the git tags were pushed to; "" when none
	Errors   []string      `json:"errors,omitempty"` // every failure

	Shard       string `json:"shard,omitempty"`       // K/N for release --shard: Images were pushed by digest and recorded, nothing else
	ShardRecord string `json:"shardRecord,omitempty"` // reference of that shard's record in the registry
	Finalize    bool   `json:"finalize,omitempty"`    // release --finalize: the images were built by the shards
}

// Image is one released image.
type Image struct {
	Image      string   `json:"image"`              // name in gobake.yaml
	Repository string   `json:"repository"`         // registry/repository
	Version    string   `json:"version"`            // the new version
	Previous   string   `json:"previous,omitempty"` // the last release's version; "" for a first release
	Bump       string   `json:"bump"`               // none (first release or given), patch, minor or major
	Reason     string   `json:"reason"`             // why, in one line
	GitTag     string   `json:"gitTag"`             // e.g. api/v1.4.2
	Tags       []string `json:"tags"`               // image tags moved: the version's, then release.tags
	Digest     string   `json:"digest,omitempty"`   // manifest or index digest; "" when the build failed
	Reference  string   `json:"reference,omitempty"`
	Platforms  []string `json:"platforms"`
	SBOM       []string `json:"sbom"`            // references of the SBOM artifacts pushed
	Inputs     string   `json:"inputs"`          // input digest (see gobake plan)
	Reused     bool     `json:"reused"`          // already in the registry under its version tag: not rebuilt
	Pushed     bool     `json:"pushed"`          // pushed (or found) by digest
	Tagged     bool     `json:"tagged"`          // its tags were moved
	Claimed    bool     `json:"claimed"`         // its git tag (the claim on its version) is on the source remote
	Completed  bool     `json:"completed"`       // an earlier release of another commit claimed this version and stopped: this one completed it, not rebuilding
	Commit     string   `json:"commit"`          // source commit of this version: the report's, or that of the claim completed
	Shard      string   `json:"shard,omitempty"` // K/N of the shard that built and pushed it (sharded releases)
	// Notes are the commits since the last release that touch the image's
	// inputs, grouped: the release notes of this version.
	Notes        version.Notes `json:"notes"`
	repository   string        // repository under the registry
	ociTag       string        // the version's image tag
	version      *semver.Version
	last         *version.Tagged // the last release, nil for a first one
	versionTags  []string        // tags naming this version: put once, never moved
	floatingTags []string        // tags that move from release to release (latest)
	newest       bool            // no higher final version is tagged: floating tags and GitOps follow it
	// manifest is the image's manifest as read by digest (adopt,
	// checkPushed): the body of every tag PUT, so no tag step reads it
	// again.
	manifest *remote.Descriptor
	// seen holds what the registry answered for its version tags this
	// attempt (reuse, settle): the digest each named, "" when absent. It
	// is forgotten when the image is built (see versionTagsToPut).
	seen map[string]string
}

// Skipped is a selected image with nothing to release.
type Skipped struct {
	Image  string `json:"image"`
	Reason string `json:"reason"`
	// SameOutput: its inputs changed, but its build is the image of its
	// last release (Reference), so there is nothing to ship.
	SameOutput bool   `json:"sameOutput,omitempty"`
	Reference  string `json:"reference,omitempty"` // REPOSITORY@DIGEST of that release, with SameOutput
}

// sameOutput returns the skipped images whose build equals their last
// release.
func (rep *Report) sameOutput() []Skipped {
	var out []Skipped
	for _, s := range rep.Skipped {
		if s.SameOutput {
			out = append(out, s)
		}
	}
	return out
}

// GitOpsReport is the GitOps commit of a release.
type GitOpsReport struct {
	Repo    string   `json:"repo"`
	Branch  string   `json:"branch"`
	Commit  string   `json:"commit,omitempty"` // commit pushed, or the head it would apply to
	Pushed  bool     `json:"pushed"`
	Files   []string `json:"files"` // files changed
	Message string   `json:"message,omitempty"`
	Diff    string   `json:"diff,omitempty"` // unified diff (dry run only)
}
