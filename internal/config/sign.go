package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// SignEnvPrefix starts a signing key reference naming an environment
// variable that holds the PEM key (cosign's env://VAR).
const SignEnvPrefix = "env://"

// Sign is the sign stanza: gobake signs every image it pushes to a
// registry with Key and attaches an SLSA provenance attestation.
type Sign struct {
	// Key is the private key: an absolute file path (a relative one is
	// resolved from Root) or env://VAR. It is a reference, never the key.
	Key string
	// KeyAt is where Key is set, "gobake.yaml:LINE:COL", for messages.
	KeyAt string
	// BuilderID is the provenance's builder.id, "" for gobake's own.
	BuilderID string
}

// rawSign is the sign stanza as written.
type rawSign struct {
	key, builderID *strVal
	keyWritten     bool
}

// envVarRE matches an environment variable name.
var envVarRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// kmsSchemeRE matches the key references of cosign's KMS and hardware
// providers (awskms://, gcpkms://, hashivault://, k8s://, pkcs11:…).
// A Windows drive letter (C:) is one letter, not a scheme.
var kmsSchemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]+:`)

// signFields are the keys of the sign stanza.
var signFields = map[string]decoder[rawSign]{
	"key": func(w *walker, p string, n *yaml.Node, s *rawSign) {
		s.keyWritten = true
		s.key = w.checkedStr(p, n, CheckSignKey)
	},
	"builderID": func(w *walker, p string, n *yaml.Node, s *rawSign) {
		s.builderID = w.checkedStr(p, n, func(v string) string {
			if u, err := url.Parse(v); err != nil || !u.IsAbs() || u.User != nil {
				return fmt.Sprintf("%q is not an absolute URI without credentials, e.g. https://github.com/acme/mono/.github/workflows/release.yml", v)
			}
			return ""
		})
	},
}

// CheckSignKey says what is wrong with a signing key reference, "" when
// nothing: it must be a file path or env://VAR with a valid name.
func CheckSignKey(ref string) string {
	switch {
	case strings.TrimSpace(ref) == "":
		return "must not be empty: a key file or env://VAR"
	case strings.HasPrefix(ref, SignEnvPrefix):
		if v := strings.TrimPrefix(ref, SignEnvPrefix); !envVarRE.MatchString(v) {
			return fmt.Sprintf("%q is not an environment variable name (env://NAME, letters, digits, _)", v)
		}
		return ""
	case kmsSchemeRE.MatchString(ref):
		return fmt.Sprintf("%q: only key files and env://VAR are supported, not KMS or hardware keys", ref)
	}
	return ""
}

// sign decodes the sign stanza.
func (w *walker) sign(path string, n *yaml.Node, c *rawConfig) {
	c.sign = &rawSign{}
	walkFields(w, path, n, signFields, c.sign)
	if !c.sign.keyWritten {
		n = deref(n)
		w.p.add(n.Line, n.Column, path, "missing key: the signing key, a file or env://VAR")
	}
}

// resolveSign returns the sign stanza with a file key made absolute; nil
// when the stanza is absent or broken.
func (w *walker) resolveSign(s *rawSign) *Sign {
	if s == nil || s.key == nil {
		return nil
	}
	out := &Sign{Key: s.key.v, KeyAt: fmt.Sprintf("%s:%d:%d", w.p.file, s.key.n.Line, s.key.n.Column)}
	if !strings.HasPrefix(out.Key, SignEnvPrefix) && !filepath.IsAbs(out.Key) {
		out.Key = filepath.Join(w.root, out.Key)
	}
	setStr(&out.BuilderID, s.builderID)
	return out
}
