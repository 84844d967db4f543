package signing

import (
	"encoding/json"
	"fmt"
	"strings"

	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// Predicate types and URIs of the provenance statement.
const (
	// ProvenancePredicateType is SLSA provenance v1's predicate type, the
	// one `cosign verify-attestation --type slsaprovenance1` checks.
	ProvenancePredicateType = "https://slsa.dev/provenance/v1"
	// BuildType names gobake's build: what its parameters mean is
	// documented there.
	BuildType = "https://github.com/gobake/gobake/blob/main/docs/signing.md#build-type-v1"
	// DefaultBuilderID is the builder.id of the provenance when the
	// configuration names none.
	DefaultBuilderID = "https://github.com/gobake/gobake"
	// SignPredicateType is the predicate type of cosign 3's signature
	// bundles: an in-toto statement about the image with an empty
	// predicate.
	SignPredicateType = "https://sigstore.dev/cosign/sign/v1"
)

// Provenance is what the SLSA provenance of an image says about its
// build. It holds no time, so that the same build attests the same bytes.
type Provenance struct {
	Image     string   // image name in gobake.yaml
	Platforms []string // os/arch[/variant] built
	Version   string   // the image's version (.Version)

	Config       string // path of gobake.yaml, slash-separated, relative to the repository
	ConfigSHA256 string // hex SHA-256 of gobake.yaml's bytes

	Commit    string // git commit built; "" outside a git work tree
	TreeState string // "clean" or "dirty"

	Inputs string // gobake's input digest of the image, "sha256:<hex>"

	BuilderID      string            // runDetails.builder.id; "" means DefaultBuilderID
	BuilderVersion map[string]string // runDetails.builder.version, e.g. gobake's version
}

// statement returns the in-toto statement of predicate about the image
// repository@digest (digest "sha256:<hex>"), as JSON.
func statement(repository, digest, predicateType string, predicate *structpb.Struct) ([]byte, error) {
	alg, hex, ok := strings.Cut(digest, ":")
	if !ok {
		return nil, fmt.Errorf("digest %q has no algorithm", digest)
	}
	st := &intoto.Statement{
		Type:          intoto.StatementTypeUri,
		Subject:       []*intoto.ResourceDescriptor{{Name: repository, Digest: map[string]string{alg: hex}}},
		PredicateType: predicateType,
		Predicate:     predicate,
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("in-toto statement: %w", err)
	}
	return canonicalJSON(st)
}

// predicate returns the SLSA v1 provenance predicate of p.
func (p Provenance) predicate() (*structpb.Struct, error) {
	ext, err := structpb.NewStruct(map[string]any{
		"image":     p.Image,
		"platforms": anyList(p.Platforms),
		"version":   p.Version,
		"config":    p.Config,
	})
	if err != nil {
		return nil, err
	}
	var deps []*intoto.ResourceDescriptor
	if p.Commit != "" {
		ann, err := structpb.NewStruct(map[string]any{"treeState": p.TreeState})
		if err != nil {
			return nil, err
		}
		deps = append(deps, &intoto.ResourceDescriptor{Name: "source", Digest: map[string]string{"gitCommit": p.Commit}, Annotations: ann})
	}
	if p.ConfigSHA256 != "" {
		deps = append(deps, &intoto.ResourceDescriptor{Name: p.Config, Digest: map[string]string{"sha256": p.ConfigSHA256}})
	}
	if p.Inputs != "" {
		alg, hex, ok := strings.Cut(p.Inputs, ":")
		if !ok {
			return nil, fmt.Errorf("input digest %q has no algorithm", p.Inputs)
		}
		deps = append(deps, &intoto.ResourceDescriptor{Name: "inputs", Digest: map[string]string{alg: hex}})
	}
	id := p.BuilderID
	if id == "" {
		id = DefaultBuilderID
	}
	prov := &slsa.Provenance{
		BuildDefinition: &slsa.BuildDefinition{
			BuildType:            BuildType,
			ExternalParameters:   ext,
			ResolvedDependencies: deps,
		},
		RunDetails: &slsa.RunDetails{Builder: &slsa.Builder{Id: id, Version: p.BuilderVersion}},
	}
	if err := prov.Validate(); err != nil {
		return nil, fmt.Errorf("SLSA provenance: %w", err)
	}
	return toStruct(prov)
}

// anyList converts a list of strings for structpb.
func anyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// toStruct converts a message to a structpb.Struct through its JSON form,
// the form the statement's predicate takes.
func toStruct(m proto.Message) (*structpb.Struct, error) {
	b, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	s := &structpb.Struct{}
	if err := protojson.Unmarshal(b, s); err != nil {
		return nil, err
	}
	return s, nil
}

// canonicalJSON marshals m with protojson, then compactly with sorted
// keys: protojson varies its whitespace on purpose, and the bytes signed
// must not vary.
func canonicalJSON(m proto.Message) ([]byte, error) {
	b, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}
