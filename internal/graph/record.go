package graph

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"sort"
	"strings"
)

// MediaType is the media type of an encoded Record, used as the artifact
// type of the referrer stored with every pushed image.
const MediaType = "application/vnd.gobake.inputs.v1+json"

// AnnotationKey is the annotation holding an image's input digest
// (Record.Digest) on its inputs artifact. Images of earlier gobake versions
// also carry it on their manifest and index; images no longer do, so that
// an image's digest depends only on what is in it.
const AnnotationKey = "dev.gobake.inputs.digest"

// RecordSchema is the version of the Record JSON schema this package writes.
const RecordSchema = 1

// Record is everything that went into one image: the inputs of every
// platform, keyed as described below, and their digests. It is stored with
// each pushed image (media type MediaType) so that a later plan can say
// what changed.
//
// Input keys and their values:
//
//	toolchain                 Go toolchain version, e.g. "go1.26.4"
//	goenv:NAME                a go env value that changes code generation (GOEXPERIMENT, GOAMD64…); GOFLAGS as its ValueDigest
//	gomod:PATH:go             the go line of the go.mod at PATH (relative to the repository root)
//	gomod:PATH:toolchain      its toolchain line
//	gomod:PATH:godebug        its godebug lines, joined
//	file:PATH                 SHA-256 of a source, embedded, go.work, vendored or replace-target file
//	pkg:IMPORTPATH            "std", "mod MODULEPATH", or "local DIR SHA256" for a package of the closure
//	mod:PATH                  "VERSION SUM" of a third-party module (replacements after "=>")
//	vendor:FILE:MODULE        the "# MODULE VERSION" and "## explicit; go X.Y" lines of a vendored package's module in FILE (vendor/modules.txt)
//	vendor:FILE               the lines of FILE outside any module (wildcard replacements, "## workspace")
//	cfg:env                   the image's env as KEY=sha256:… (ValueDigest of each value: env may hold secrets)
//	cfg:NAME                  the image's flags, ldflags (as written), user, labels, annotations, binary, main
//	base                      digest of the base image for the platform
//	data:PATH                 mode and SHA-256 of a file of the data directory (PATH relative to it)
type Record struct {
	Schema    int              `json:"schema"`
	Image     string           `json:"image"`
	Digest    string           `json:"digest"` // over every platform's digest
	Platforms []PlatformRecord `json:"platforms"`
}

// PlatformRecord is the inputs of one image for one platform.
type PlatformRecord struct {
	Platform string            `json:"platform"`
	Digest   string            `json:"digest"` // over Inputs, see InputsDigest
	Inputs   map[string]string `json:"inputs"`
}

// Platform returns the record of platform p, or nil.
func (r *Record) Platform(p string) *PlatformRecord {
	for i := range r.Platforms {
		if r.Platforms[i].Platform == p {
			return &r.Platforms[i]
		}
	}
	return nil
}

// Seal sorts the platforms and sets every digest from the inputs.
func (r *Record) Seal() {
	r.seal(true)
}

// seal is Seal; without recompute, it keeps the platform digests already
// set (Compute sets them in parallel).
func (r *Record) seal(recompute bool) {
	r.Schema = RecordSchema
	sort.Slice(r.Platforms, func(i, j int) bool { return r.Platforms[i].Platform < r.Platforms[j].Platform })
	h := sha256.New()
	writeString(h, "gobake-image-inputs-v1")
	for i := range r.Platforms {
		p := &r.Platforms[i]
		if recompute || p.Digest == "" {
			p.Digest = InputsDigest(p.Inputs)
		}
		writeString(h, p.Platform)
		writeString(h, p.Digest)
	}
	r.Digest = "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// InputsDigest is the digest of a set of inputs: SHA-256 over the sorted
// keys and their values, each length-prefixed so that two different sets
// never encode alike.
func InputsDigest(inputs map[string]string) string {
	keys := make([]string, 0, len(inputs))
	for k := range inputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// One buffer, written in large pieces: the same bytes as writeString
	// per string, without an allocation per string.
	h := sha256.New()
	buf := appendString(make([]byte, 0, 64<<10), "gobake-inputs-v1")
	for _, k := range keys {
		buf = appendString(buf, k)
		buf = appendString(buf, inputs[k])
		if len(buf) >= 60<<10 {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	h.Write(buf)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// appendString appends s to b as writeString writes it.
func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// ValueDigest is what a record holds in place of a value that may be a
// secret: sha256: and the hex SHA-256 of the value. Records are pushed to
// registries, so values stay out; a changed value still changes the digest.
func ValueDigest(v string) string {
	sum := sha256.Sum256([]byte(v))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// envInputs returns the env entries of an image as a record holds them:
// KEY=ValueDigest(VALUE), in the order written. Literal values may be
// credentials, and templates may hold literal parts.
func envInputs(env []string) []string {
	out := make([]string, len(env))
	for i, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		out[i] = k + "=" + ValueDigest(v)
	}
	return out
}

// codegenInput returns the go env value v of the variable k as a record
// holds it: GOFLAGS, free-form (an image's env may set it, -ldflags with
// -X secrets and all), as its ValueDigest; the others as they are.
func codegenInput(k, v string) string {
	if k == "GOFLAGS" {
		return ValueDigest(v)
	}
	return v
}

func writeString(h hash.Hash, s string) {
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
	h.Write([]byte(s))
}

// Marshal encodes r as compact JSON (media type MediaType).
func (r *Record) Marshal() ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encoding inputs record of %s: %w", r.Image, err)
	}
	return b, nil
}

// UnmarshalRecord decodes a Record and checks its schema and digests.
func UnmarshalRecord(b []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decoding inputs record: %w", err)
	}
	if r.Schema != RecordSchema {
		return nil, fmt.Errorf("decoding inputs record: schema %d, want %d", r.Schema, RecordSchema)
	}
	want := r.Digest
	r.Seal()
	if r.Digest != want {
		return nil, fmt.Errorf("decoding inputs record of %s: digest %s does not match its inputs (%s)", r.Image, want, r.Digest)
	}
	return &r, nil
}
