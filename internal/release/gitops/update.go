package gitops

import (
	"strings"

	"github.com/gobake/gobake/internal/config"
)

// Update is the new reference of one released image.
type Update struct {
	Image      string // image name in gobake.yaml (the short name)
	Repository string // full repository, registry/repository, e.g. ghcr.io/acme/api
	Version    string // release version
	Tag        string // tag pushed, e.g. v1.2.3
	Digest     string // manifest digest, sha256:…; "" when unknown (pin: tag only)
	Notes      string // release notes as plain text (see version.Notes.Text); "" when none
	Changelog  string // release notes as the Markdown of a changelog section (see version.Notes.Markdown); "" when none
}

// Reference returns the full reference repository:tag@digest, leaving out
// the parts that are empty.
func (u Update) Reference() string {
	return joinRef(u.Repository, u.Tag, u.Digest)
}

// pinned returns the reference to write for pin.
func (u Update) pinned(pin config.Pin) string {
	return joinRef(u.Repository, u.pinnedTag(pin, true), u.pinnedDigest(pin))
}

// pinnedTag returns the tag part for pin; withDigestSeparately says
// whether the digest goes elsewhere (then tag+digest gives the tag only).
func (u Update) pinnedTag(pin config.Pin, digestElsewhere bool) string {
	switch pin {
	case config.PinTag:
		return u.Tag
	case config.PinDigest:
		if digestElsewhere {
			return ""
		}
		return joinRef("", u.Tag, u.Digest)
	default:
		if digestElsewhere {
			return u.Tag
		}
		return joinRef("", u.Tag, u.Digest)
	}
}

// pinnedDigest returns the digest part for pin: "" with pin: tag.
func (u Update) pinnedDigest(pin config.Pin) string {
	if pin == config.PinTag {
		return ""
	}
	return u.Digest
}

// shortName is the last component of the repository.
func (u Update) shortName() string {
	return u.Repository[strings.LastIndexByte(u.Repository, '/')+1:]
}

// Change is one scalar an edit matched, changed or already up to date.
type Change struct {
	File   string // slash-separated path in the deployment repository
	Line   int    // 1-based line of the scalar
	Image  string // image name
	Old    string // value before
	New    string // value after
	OldRef string // the reference (or tag) the value, and its siblings, said before
}

// Changed reports whether the edit changed the value.
func (c Change) Changed() bool { return c.Old != c.New }

// joinRef joins repository, tag and digest into repository:tag@digest,
// leaving out the empty parts.
func joinRef(repo, tag, digest string) string {
	s := repo
	if tag != "" {
		if s != "" {
			s += ":"
		}
		s += tag
	}
	if digest != "" {
		s += "@" + digest
	}
	return s
}

// splitRef splits an image reference into repository, tag and digest.
func splitRef(ref string) (repo, tag, digest string) {
	repo, digest, _ = strings.Cut(ref, "@")
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo, tag = repo[:i], repo[i+1:]
	}
	return repo, tag, digest
}
