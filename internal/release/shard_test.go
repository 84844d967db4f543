package release

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/gitinfo"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/ociartifact"
	"github.com/gobake/gobake/internal/planner"
	"github.com/gobake/gobake/internal/testutil"
)

// TestReadShard reads back a shard record as pushed, with its snapshot,
// and refuses what is not one.
func TestReadShard(t *testing.T) {
	host := testutil.InMemoryRegistry(t, registry.Logger(log.New(io.Discard, "", 0)))
	commit := strings.Repeat("ab", 20)
	gz := func(doc any) []byte {
		t.Helper()
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if b, err = gzipped(b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	push := func(tag string, art v1.Image) string {
		t.Helper()
		ref, err := name.ParseReference(host + "/acme/" + ShardRepository + ":" + tag)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, art); err != nil {
			t.Fatal(err)
		}
		return ref.String()
	}
	bundle := func(docs ...ociartifact.Document) v1.Image {
		t.Helper()
		art, err := ociartifact.Bundle(ShardMediaType, docs)
		if err != nil {
			t.Fatal(err)
		}
		return art
	}
	standalone := func(doc []byte, mt types.MediaType) v1.Image {
		t.Helper()
		art, err := ociartifact.Standalone(doc, mt)
		if err != nil {
			t.Fatal(err)
		}
		return art
	}
	snapJSON := []byte(`{"api":{"schema":1,"image":"api","digest":"sha256:11","platforms":null}}`)
	snap, err := gzipped(snapJSON)
	if err != nil {
		t.Fatal(err)
	}
	want := shardRecord{
		Schema: shardSchema, Commit: commit, Shard: "2/3", Plan: "sha256:00",
		Images:   []shardImage{{Image: "api", Version: "0.1.0", Inputs: "sha256:11", Digest: "sha256:22", Platforms: []string{"linux/amd64"}, SBOM: []string{}}},
		Snapshot: digestOf(snap),
	}
	otherSnap := want
	otherSnap.Snapshot = digestOf([]byte("another"))
	snapLayer := ociartifact.Document{Data: snap, MediaType: SnapshotMediaType}
	tests := []struct {
		name    string
		art     v1.Image
		wantErr string
	}{
		{name: "record", art: bundle(ociartifact.Document{Data: gz(want), MediaType: ShardMediaType}, snapLayer)},
		{name: "another artifact", art: standalone(gz(want), "application/vnd.example+json"), wantErr: "not a shard record"},
		{name: "no snapshot layer", art: bundle(ociartifact.Document{Data: gz(want), MediaType: ShardMediaType}), wantErr: "not a shard record"},
		{name: "another schema", art: bundle(ociartifact.Document{Data: gz(map[string]any{"schema": 9}), MediaType: ShardMediaType}, snapLayer), wantErr: "record schema 9"},
		{name: "another snapshot", art: bundle(ociartifact.Document{Data: gz(otherSnap), MediaType: ShardMediaType}, snapLayer), wantErr: "the record names snapshot"},
		{name: "uncompressed v1", art: standalone([]byte(`{"schema":1}`), types.MediaType(olderShardTypes[0])), wantErr: "a record of an older gobake"},
		{name: "snapshot inside v2", art: standalone(gz(map[string]any{"schema": 2}), types.MediaType(olderShardTypes[1])), wantErr: "a record of an older gobake"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := push(ShardTag(commit, planner.Shard{K: i + 1, N: len(tests)}), tt.art)
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
			repo, err := name.NewRepository(host + "/acme/" + ShardRepository)
			if err != nil {
				t.Fatal(err)
			}
			b, err := readSnapshot(context.Background(), repo, got.Snapshot, nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != string(snapJSON) {
				t.Errorf("snapshot %s, want %s", b, snapJSON)
			}
		})
	}
	if m := shardTagPattern.FindStringSubmatch(ShardTag(commit, planner.Shard{K: 2, N: 3})); m == nil || m[1] != commit || m[2] != "2" || m[3] != "3" {
		t.Errorf("ShardTag does not parse back: %v", m)
	}
}

// TestOpenShards: finalize takes the snapshot from the records, reading
// a blob the shards share once; records of the same snapshot in other
// bytes are accepted, different snapshots refused.
func TestOpenShards(t *testing.T) {
	var mu sync.Mutex
	gets := map[string]int{} // blob GETs by path
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	s := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/blobs/") {
			mu.Lock()
			gets[req.URL.Path]++
			mu.Unlock()
		}
		h.ServeHTTP(rw, req)
	}))
	t.Cleanup(s.Close)
	host := strings.TrimPrefix(s.URL, "http://")
	compress := func(doc []byte, header string) []byte {
		t.Helper()
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Name = header // other bytes, same document
		if _, err := zw.Write(doc); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	snapA := []byte(`{"schema":1,"inputs":[],"records":{"api":{"schema":1,"image":"api","digest":"sha256:11","platforms":[]}}}`)
	snapB := []byte(`{"schema":1,"inputs":[],"records":{"api":{"schema":1,"image":"api","digest":"sha256:99","platforms":[]}}}`)
	tests := []struct {
		name      string
		snaps     [][]byte // the snapshot layer of shard K/N, K = index + 1
		images    []string
		wantErr   string
		wantReads int // GETs of the first shard's snapshot blob
	}{
		{name: "one blob", snaps: [][]byte{compress(snapA, ""), compress(snapA, ""), compress(snapA, "")}, images: []string{"api"}, wantReads: 1},
		{name: "same snapshot, other bytes", snaps: [][]byte{compress(snapA, ""), compress(snapA, "x")}, images: []string{"api"}, wantReads: 1},
		{name: "different snapshots", snaps: [][]byte{compress(snapA, ""), compress(snapB, "")}, images: []string{"api"}, wantErr: "shards 1/2 and 2/2 planned different inputs"},
		{name: "image not planned", snaps: [][]byte{compress(snapA, "")}, images: []string{"api", "web"}, wantErr: "did not plan image web"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			commit := fmt.Sprintf("%040x", i+1)
			n := len(tt.snaps)
			for k, snap := range tt.snaps {
				s := planner.Shard{K: k + 1, N: n}
				rec, err := json.Marshal(shardRecord{Schema: shardSchema, Commit: commit, Shard: s.String(), Images: []shardImage{}, Snapshot: digestOf(snap)})
				if err != nil {
					t.Fatal(err)
				}
				if rec, err = gzipped(rec); err != nil {
					t.Fatal(err)
				}
				art, err := ociartifact.Bundle(ShardMediaType, []ociartifact.Document{{Data: rec, MediaType: ShardMediaType}, {Data: snap, MediaType: SnapshotMediaType}})
				if err != nil {
					t.Fatal(err)
				}
				ref, err := name.ParseReference(host + "/acme/" + ShardRepository + ":" + ShardTag(commit, s))
				if err != nil {
					t.Fatal(err)
				}
				if err := remote.Write(ref, art); err != nil {
					t.Fatal(err)
				}
			}
			mu.Lock()
			clear(gets)
			mu.Unlock()
			r := &run{cfg: &config.Config{Root: t.TempDir()}, opts: Options{Registry: host + "/acme", Insecure: true}, info: gitinfo.Info{Commit: commit}}
			err := r.openShards(context.Background(), tt.images)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.shardN != n || len(r.shardRecs) != n || r.snap.Records["api"] == nil || r.snap.Records["api"].Digest != "sha256:11" {
				t.Errorf("shards %d, records %d, snapshot %+v: want %d shards and api's inputs sha256:11", r.shardN, len(r.shardRecs), r.snap.Records, n)
			}
			mu.Lock()
			defer mu.Unlock()
			if got := gets["/v2/acme/"+ShardRepository+"/blobs/"+digestOf(tt.snaps[0])]; got != tt.wantReads {
				t.Errorf("snapshot blob read %d times, want %d (all reads: %v)", got, tt.wantReads, gets)
			}
		})
	}
}

// TestSnapshotEncoding: the snapshot layer gives back the records, writes
// an input shared by several images once, is the same bytes for the same
// records, and refuses what it cannot read.
func TestSnapshotEncoding(t *testing.T) {
	shared := map[string]string{"file:core/a.go": "aa", "file:core/b.go": "bb"}
	with := func(own map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range shared {
			out[k] = v
		}
		for k, v := range own {
			out[k] = v
		}
		return out
	}
	recs := map[string]*graph.Record{
		"api": {Schema: 1, Image: "api", Digest: "sha256:1", Platforms: []graph.PlatformRecord{
			{Platform: "linux/amd64", Digest: "sha256:2", Inputs: with(map[string]string{"file:api/main.go": "01"})},
			{Platform: "linux/arm64", Digest: "sha256:3", Inputs: with(map[string]string{"file:api/main.go": "01", "cfg:env": "[]"})},
		}},
		"web": {Schema: 1, Image: "web", Digest: "sha256:4", Platforms: []graph.PlatformRecord{
			{Platform: "linux/amd64", Digest: "sha256:5", Inputs: with(map[string]string{"file:web/main.go": "02"})},
		}},
	}
	z, err := encodeSnapshot(recs)
	if err != nil {
		t.Fatal(err)
	}
	again, err := encodeSnapshot(recs)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(z, again) {
		t.Error("two encodings of the same records differ")
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var raw snapshotDoc
	if err := json.Unmarshal(doc, &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Inputs) != 5 { // 2 shared, api's main.go, cfg:env, web's main.go
		t.Errorf("%d inputs written, want 5 (each once): %v", len(raw.Inputs), raw.Inputs)
	}
	got, err := decodeSnapshot(doc)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(recs, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	for _, bad := range []struct{ doc, wantErr string }{
		{`{"schema":2,"inputs":[],"records":{}}`, "snapshot schema 2"},
		{`{"schema":1,"inputs":[["k","v"]],"records":{"api":{"platforms":[{"platform":"linux/amd64","inputs":[1]}]}}}`, "input 1 of 1"},
		{`[]`, "snapshot:"},
	} {
		if _, err := decodeSnapshot([]byte(bad.doc)); err == nil || !strings.Contains(err.Error(), bad.wantErr) {
			t.Errorf("decode %s: error %v, want %q", bad.doc, err, bad.wantErr)
		}
	}
}
