package layering

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// tarballConfig loads tag from the tarball at path and returns its config
// digest.
func tarballConfig(t *testing.T, path, tag string) (v1.Hash, error) {
	t.Helper()
	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(path, &ref)
	if err != nil {
		return v1.Hash{}, err
	}
	return img.ConfigName()
}

// configOf returns the config digest of img.
func configOf(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	h, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestTarballPublisher(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "images.tar")
	p := NewTarballPublisher(path, WithTarballRepositoryPrefix("ghcr.io/acme/"))

	single := testImageResult(t, "api")
	multi := testIndexResult(t, "worker")
	got, err := p.Publish(ctx, single, []string{"latest", "v1"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "ghcr.io/acme/api@" + digestOf(t, single).String(); got.String() != want {
		t.Errorf("Publish returned %s, want %s", got, want)
	}
	if _, err := p.Publish(ctx, multi, []string{"v2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("tarball exists before Close: %v", err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}

	im, err := multi.Index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	platformImage := map[string]v1.Image{}
	for _, d := range im.Manifests {
		img, err := multi.Index.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		platformImage[d.Platform.Architecture] = img
	}
	host := platformImage[runtime.GOARCH]
	if host == nil {
		host = platformImage["amd64"] // the first one
	}
	want := map[string]v1.Hash{
		"ghcr.io/acme/api:latest":            configOf(t, single.Image),
		"ghcr.io/acme/api:v1":                configOf(t, single.Image),
		"ghcr.io/acme/worker:v2":             configOf(t, host),
		"ghcr.io/acme/worker:v2-linux-amd64": configOf(t, platformImage["amd64"]),
		"ghcr.io/acme/worker:v2-linux-arm64": configOf(t, platformImage["arm64"]),
	}
	gotCfg := map[string]v1.Hash{}
	for tag := range want {
		h, err := tarballConfig(t, path, tag)
		if err != nil {
			t.Errorf("load %s: %v", tag, err)
			continue
		}
		gotCfg[tag] = h
	}
	if diff := cmp.Diff(want, gotCfg); diff != "" {
		t.Errorf("tarball images (-want +got):\n%s", diff)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d files, want only the tarball", len(entries))
	}

	if _, err := p.Publish(ctx, single, nil); err == nil {
		t.Error("Publish after Close succeeded")
	}
}

func TestTarballPublisherCancelledClose(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "images.tar")
	p := NewTarballPublisher(path)
	if _, err := p.Publish(context.Background(), testImageResult(t, "api"), []string{"latest"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Close with a cancelled context: got %v, want context.Canceled", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("a cancelled Close left %d files behind", len(entries))
	}
}
