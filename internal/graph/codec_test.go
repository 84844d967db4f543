package graph

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGraphCodec: a stored graph decodes to what was encoded, and a file
// cut short or changed anywhere decodes to nothing (nor panics).
func TestGraphCodec(t *testing.T) {
	sg := sampleGraph()
	b := encodeGraph(sg)
	got, err := decodeGraph(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sg, got); diff != "" {
		t.Errorf("decoded graph differs (-encoded +decoded):\n%s", diff)
	}
	for n := range len(b) {
		if _, err := decodeGraph(b[:n]); err == nil {
			t.Errorf("a graph cut to %d of %d bytes decodes", n, len(b))
		}
	}
	for i := range b {
		bad := bytes.Clone(b)
		bad[i] ^= 0x10
		if _, err := decodeGraph(bad); err == nil {
			t.Errorf("a graph with byte %d changed decodes", i)
		}
		// The same change with a checksum that matches: a wrong graph
		// may decode, but never panics.
		_, _ = decodeGraph(withChecksum(bad[:len(bad)-4]))
	}
}

// withChecksum returns body followed by its CRC-32C, as the encodings end.
func withChecksum(body []byte) []byte {
	out := bytes.Clone(body)
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

// sampleGraph is a stored graph with every field set, some to their
// extremes (negative, large, empty).
func sampleGraph() *storedGraph {
	return &storedGraph{
		Version: graphCacheVersion, Key: "v2\x00/repo\x00GOOS=linux",
		Env:     map[string]string{"GOVERSION": "go1.26.0", "GOFLAGS": ""},
		Modules: []storedModule{{Path: "example.com/m", Main: true, Dir: "/repo", GoMod: "/repo/go.mod", Replace: -1}, {Path: "example.com/r", Version: "v1.0.0", Replace: 0}},
		Pkgs: []storedPkg{
			{PkgPath: "example.com/m/cmd/a", Name: "main", Dir: "/repo/cmd/a", Module: 0, GoFiles: []string{"main.go"}, Imports: []storedImport{{Path: "example.com/m/lib", Pkg: 1}}},
			{PkgPath: "example.com/m/lib", Name: "lib", Dir: "/repo/lib", Module: -1, GoFiles: []string{"lib.go", "lib_linux.go"}, OtherFiles: []string{"x.s"}, EmbedFiles: []string{"static/a.txt"}, EmbedPatterns: []string{"static"}},
		},
		Roots: []storedRoot{{Main: "./cmd/a", Pkg: 0}},
		Files: []storedFile{{Path: "/repo/go.mod", Hash: "abc"}, {Path: "/repo/go.work"}},
		Dirs: []storedDir{
			{Path: "/repo/lib", Key: fileKey{Size: 4096, MTime: -5, Inode: 1 << 40, CTime: 1e18, Mode: 0o20000000755}, All: true, Names: []string{"lib.go", "static/"}, Sources: []storedSource{{Name: "lib.go", Hash: "h", Header: "hh"}}},
		},
	}
}

// TestHashCacheFile: the hash cache reads back what it saved; a damaged
// file, or one of an earlier encoding, is an empty cache.
func TestHashCacheFile(t *testing.T) {
	entries := sampleHashes()
	b := encodeHashes(entries)
	got, err := decodeHashes(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(entries, got); diff != "" {
		t.Errorf("decoded entries differ (-saved +read):\n%s", diff)
	}
	for n := range len(b) {
		if _, err := decodeHashes(b[:n]); err == nil {
			t.Errorf("a hash cache cut to %d of %d bytes decodes", n, len(b))
		}
	}
	for i := range b {
		bad := bytes.Clone(b)
		bad[i] ^= 0x10
		if _, err := decodeHashes(bad); err == nil {
			t.Errorf("a hash cache with byte %d changed decodes", i)
		}
		_, _ = decodeHashes(withChecksum(bad[:len(bad)-4]))
	}
	path := filepath.Join(t.TempDir(), "filehash")
	if err := os.WriteFile(path, []byte("\x0e\xff\x81\x04\x01\x02\xff\x82\x00\x01\x0c"), 0o644); err != nil { // gob
		t.Fatal(err)
	}
	c := OpenHashCache(path)
	if c.load(); len(c.entries) != 0 {
		t.Errorf("a gob hash cache gave %d entries", len(c.entries))
	}
}

// sampleHashes is the entries of a hash cache.
func sampleHashes() map[string]cacheEntry {
	return map[string]cacheEntry{
		"/repo/a.go": {Key: fileKey{Size: 10, MTime: 1, Inode: 2, CTime: 3, Mode: 0o644}, Hash: "aa"},
		"/repo/b.go": {Key: fileKey{Size: 0, MTime: -1}, Hash: "bb"},
	}
}

// TestCodecGolden: the encodings of a sample graph and hash cache are
// the bytes pinned here, so that a change to the codec that changes the
// files gobake has stored is seen (and graphCacheVersion raised).
func TestCodecGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		{"graph", encodeGraph(sampleGraph()), "676f62616b652067726170680a1c13070009080d050c0d0613040b07110309060c030c0607030d0701027632002f7265706f00474f4f533d6c696e7578474f464c414753474f56455253494f4e676f312e32362e306578616d706c652e636f6d2f6d2f7265706f2f7265706f2f676f2e6d6f646578616d706c652e636f6d2f7276312e302e306578616d706c652e636f6d2f6d2f636d642f616d61696e2f7265706f2f636d642f616d61696e2e676f6578616d706c652e636f6d2f6d2f6c69626c69622f7265706f2f6c69626c69622e676f6c69625f6c696e75782e676f782e737374617469632f612e7478747374617469632e2f636d642f616162632f7265706f2f676f2e776f726b7374617469632f6868680200020102030402050201010607080900000202020a0b0c00010d000000010e020e0f100102111201130114011500011600020717180201108040098080808080208080a0f6f4acdbe01bed838080080102111901111a1be380d536"},
		{"hashes", encodeHashes(sampleHashes()), "676f62616b652066696c65686173680a020a2f7265706f2f612e676f14020206a4030261610a2f7265706f2f622e676f0001000000026262bb70fe96"},
	} {
		if got := hex.EncodeToString(tc.got); got != tc.want {
			t.Errorf("%s encodes as\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}

// TestAbsJoin: a name joined to a directory without filepath.Join is the
// path filepath.Join gives.
func TestAbsJoin(t *testing.T) {
	for _, dir := range []string{"/repo/pkg", "/repo/pkg/", "/repo//pkg", "/repo/./pkg", "/repo/../pkg", "/repo/.hidden", "relative/dir", "", "/"} {
		files := []string{"a.go", "sub/b.go", "./c.go", "../d.go", ".", "..", "/abs/e.go", "x//y.go"}
		got := absJoin(dir, files)
		for i, f := range files {
			want := f
			if !filepath.IsAbs(f) {
				want = filepath.Join(dir, f)
			}
			if got[i] != want {
				t.Errorf("absJoin(%q, %q) = %q, want %q", dir, f, got[i], want)
			}
		}
	}
}

// TestRel: rel's shortcut gives what filepath.Rel gives.
func TestRel(t *testing.T) {
	for _, tc := range [][2]string{
		{"/repo", "/repo/a/b.go"}, {"/repo", "/repo"}, {"/repo", "/repository/x"}, {"/repo", "/repo/./a"},
		{"/repo", "/repo/a/../b"}, {"/repo", "/repo//a"}, {"/repo/", "/repo/a"}, {"/", "/a"}, {"/repo", "/other"}, {"/repo", "/repo/a/"},
	} {
		want, err := filepath.Rel(tc[0], tc[1])
		if err != nil {
			want = tc[1]
		}
		if got := rel(tc[0], tc[1]); got != filepath.ToSlash(want) {
			t.Errorf("rel(%q, %q) = %q, want %q", tc[0], tc[1], got, want)
		}
	}
}
