package release

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/ociartifact"
	"github.com/gobake/gobake/internal/planner"
)

// TestReadShard reads back a shard record as pushed, and refuses what is
// not one.
func TestReadShard(t *testing.T) {
	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(s.Close)
	host := strings.TrimPrefix(s.URL, "http://")
	commit := strings.Repeat("ab", 20)
	push := func(tag string, doc any, mt types.MediaType) string {
		t.Helper()
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if mt == ShardMediaType {
			if b, err = gzipped(b); err != nil {
				t.Fatal(err)
			}
		}
		art, err := ociartifact.Standalone(b, mt)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := name.ParseReference(host + "/acme/" + ShardRepository + ":" + tag)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, art); err != nil {
			t.Fatal(err)
		}
		return ref.String()
	}
	want := shardRecord{
		Schema: shardSchema, Commit: commit, Shard: "2/3", Plan: "sha256:00",
		Images:  []shardImage{{Image: "api", Version: "0.1.0", Inputs: "sha256:11", Digest: "sha256:22", Platforms: []string{"linux/amd64"}, SBOM: []string{}}},
		Records: map[string]*graph.Record{"api": {Schema: 1, Image: "api", Digest: "sha256:11"}},
	}
	tests := []struct {
		name    string
		doc     any
		mt      types.MediaType
		wantErr string
	}{
		{name: "record", doc: want, mt: ShardMediaType},
		{name: "another artifact", doc: want, mt: "application/vnd.example+json", wantErr: "not a shard record"},
		{name: "another schema", doc: map[string]any{"schema": 9}, mt: ShardMediaType, wantErr: "record schema 9"},
		{name: "uncompressed v1", doc: map[string]any{"schema": 1}, mt: shardMediaTypeV1, wantErr: "a record of an older gobake"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := push(ShardTag(commit, planner.Shard{K: i + 1, N: 3}), tt.doc, tt.mt)
			got, err := readShard(context.Background(), ref, true, nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
		})
	}
	if m := shardTagPattern.FindStringSubmatch(ShardTag(commit, planner.Shard{K: 2, N: 3})); m == nil || m[1] != commit || m[2] != "2" || m[3] != "3" {
		t.Errorf("ShardTag does not parse back: %v", m)
	}
}
