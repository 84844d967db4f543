package main

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestFloor: tagfloor makes, per image, a GET of the absent version tag,
// a GET by digest and a PUT per tag, which then names the digest; it
// pings the registry once; it refuses a version tag already there (not
// the floor of a release).
func TestFloor(t *testing.T) {
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	var pings atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/v2/" && req.Header.Get("User-Agent") != "" && strings.Contains(req.Header.Get("User-Agent"), "tagfloor") {
			pings.Add(1)
		}
		reg.ServeHTTP(w, req)
	}))
	defer s.Close()
	host := strings.TrimPrefix(s.URL, "http://")
	var imgs []image
	for _, repo := range []string{"acme/api", "acme/web"} {
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		ref, err := name.NewDigest(host + "/" + repo + "@" + d.String())
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, image{Image: repo, Reference: ref.String(), Tags: []string{"0.1.0+b.1", "latest"}})
	}
	n, err := floor(context.Background(), imgs, 1, "floor-")
	if err != nil || n != 8 || pings.Load() != 1 {
		t.Fatalf("floor: %d requests, %d pings, %v; want 8, 1, nil", n, pings.Load(), err)
	}
	for _, img := range imgs {
		for _, tag := range []string{"floor-0.1.0_b.1", "floor-latest"} {
			ref, _ := name.NewDigest(img.Reference)
			desc, err := remote.Head(ref.Context().Tag(tag))
			if err != nil || desc.Digest.String() != ref.DigestStr() {
				t.Errorf("%s:%s: %v, %v; want %s", img.Image, tag, desc, err, ref.DigestStr())
			}
		}
	}
	if _, err := floor(context.Background(), imgs, 16, "floor-"); err == nil || !strings.Contains(err.Error(), "want 404") {
		t.Errorf("floor with the version tags there: %v, want a refusal", err)
	}
}
