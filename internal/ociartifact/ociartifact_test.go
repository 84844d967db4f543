package ociartifact

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/gobake/gobake/internal/testutil"
)

func TestNew(t *testing.T) {
	subject := v1.Descriptor{
		MediaType: types.OCIManifestSchema1,
		Digest:    v1.Hash{Algorithm: "sha256", Hex: "0123456789012345678901234567890123456789012345678901234567890123"},
		Size:      42,
		Platform:  &v1.Platform{OS: "linux", Architecture: "amd64"}, // not recorded
	}
	tests := []struct {
		name            string
		opts            []Option
		wantAnnotations map[string]string
		wantLayerAnns   map[string]string
	}{
		{name: "plain"},
		{
			name:            "annotated",
			opts:            []Option{WithAnnotations(map[string]string{"k": "v"}), WithLayerAnnotations(map[string]string{"org.opencontainers.image.title": "doc.json"})},
			wantAnnotations: map[string]string{"k": "v"},
			wantLayerAnns:   map[string]string{"org.opencontainers.image.title": "doc.json"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := New([]byte(`{"a":1}`), "application/vnd.example+json", subject, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if err := validate.Image(img); err != nil {
				t.Fatalf("validate: %v", err)
			}
			raw, err := img.RawManifest()
			if err != nil {
				t.Fatal(err)
			}
			var m v1.Manifest
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			if m.ArtifactType != "application/vnd.example+json" || m.Config.MediaType != types.OCIEmptyJSON || m.Config.Size != 2 {
				t.Errorf("artifactType %q, config %+v: want the document type and the empty config", m.ArtifactType, m.Config)
			}
			wantSubject := &v1.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size}
			if diff := cmp.Diff(wantSubject, m.Subject); diff != "" {
				t.Errorf("subject (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantAnnotations, m.Annotations); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
			if len(m.Layers) != 1 || m.Layers[0].MediaType != "application/vnd.example+json" {
				t.Fatalf("layers %+v: want one document layer", m.Layers)
			}
			if diff := cmp.Diff(tt.wantLayerAnns, m.Layers[0].Annotations); diff != "" {
				t.Errorf("layer annotations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStandalone(t *testing.T) {
	img, err := Standalone([]byte(`{"a":1}`), "application/vnd.example+json")
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatalf("validate: %v", err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != nil || m.ArtifactType != "application/vnd.example+json" || len(m.Layers) != 1 {
		t.Errorf("manifest %+v: want no subject, the document's artifactType and one layer", m)
	}
	raw, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "subject") {
		t.Errorf("manifest names a subject: %s", raw)
	}
}

// TestBundle: a layer per document, in order, each readable by digest;
// a document two bundles share is the same blob.
func TestBundle(t *testing.T) {
	shared := Document{Data: []byte(`{"shared":true}`), MediaType: "application/vnd.example.shared+json"}
	bundle := func(own string) (v1.Image, *v1.Manifest) {
		t.Helper()
		img, err := Bundle("application/vnd.example.bundle+json", []Document{{Data: []byte(own), MediaType: "application/vnd.example.own+json"}, shared})
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Image(img); err != nil {
			t.Fatalf("validate: %v", err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		return img, m
	}
	img, a := bundle(`{"k":1}`)
	_, b := bundle(`{"k":2}`)
	if a.ArtifactType != "application/vnd.example.bundle+json" || len(a.Layers) != 2 ||
		a.Layers[0].MediaType != "application/vnd.example.own+json" || a.Layers[1].MediaType != shared.MediaType {
		t.Fatalf("manifest %+v: want the bundle's artifactType and its two documents in order", a)
	}
	if a.Layers[0].Digest == b.Layers[0].Digest || a.Layers[1].Digest != b.Layers[1].Digest {
		t.Errorf("layers %v and %v: want the own documents to differ and the shared one the same blob", a.Layers, b.Layers)
	}
	if got, _ := testutil.Layer(t, img, 1); string(got) != string(shared.Data) {
		t.Errorf("shared layer %q, want %q", got, shared.Data)
	}
	if _, err := Bundle("application/vnd.example.bundle+json", nil); err == nil {
		t.Error("Bundle of no document: no error")
	}
}
