package layering

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// tarLoader keeps what it is asked to load, as `podman load` would read it.
type tarLoader struct {
	loads int
	tar   bytes.Buffer
}

func (l *tarLoader) Load(ctx context.Context, write func(io.Writer) error) error {
	l.loads++
	return write(&l.tar)
}

// TestLoadPublisher checks that each result's image for the platform asked
// for is loaded under its tags, in one stream, and that a result without
// that platform is refused with a hint.
func TestLoadPublisher(t *testing.T) {
	ctx := context.Background()
	single := testImageResult(t, "api")
	multi := testIndexResult(t, "worker")
	l := &tarLoader{}
	p := NewLoadPublisher(l, WithLoadRepositoryPrefix("ghcr.io/acme/"), WithLoadPlatform(v1.Platform{OS: "linux", Architecture: "arm64"}))
	for _, c := range []struct {
		r    Result
		tags []string
	}{{single, []string{"latest", "v1"}}, {multi, []string{"v2"}}} {
		if _, err := p.Publish(ctx, c.r, c.tags); err != nil {
			t.Fatal(err)
		}
	}
	if l.loads != 0 {
		t.Fatal("loaded before Close")
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if l.loads != 1 {
		t.Fatalf("%d loads, want 1", l.loads)
	}
	arm, err := PlatformImage(multi, v1.Platform{OS: "linux", Architecture: "arm64"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]v1.Hash{
		"ghcr.io/acme/api:latest": configOf(t, single.Image),
		"ghcr.io/acme/api:v1":     configOf(t, single.Image),
		"ghcr.io/acme/worker:v2":  configOf(t, arm),
	}
	got := map[string]v1.Hash{}
	opener := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(l.tar.Bytes())), nil }
	for tag := range want {
		ref, err := name.NewTag(tag)
		if err != nil {
			t.Fatal(err)
		}
		img, err := tarball.Image(opener, &ref)
		if err != nil {
			t.Fatalf("%s in the stream: %v", tag, err)
		}
		got[tag] = configOf(t, img)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("loaded images by tag (-want +got):\n%s", diff)
	}
	if _, err := p.Publish(ctx, single, nil); err == nil {
		t.Error("Publish after Close succeeded")
	}

	p = NewLoadPublisher(l, WithLoadPlatform(v1.Platform{OS: "linux", Architecture: "s390x"}))
	_, err = p.Publish(ctx, multi, []string{"v2"})
	if err == nil || !strings.Contains(err.Error(), "no image for the platform linux/s390x among those built (linux/amd64, linux/arm64); build it with --platform linux/s390x") {
		t.Errorf("Publish of a result without the platform: %v", err)
	}
}
