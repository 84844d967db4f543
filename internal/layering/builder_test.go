package layering

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/platform"
	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

var (
	linuxAMD64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	linuxARM64 = v1.Platform{OS: "linux", Architecture: "arm64"}
)

// indexImages returns the platforms and images of an index, in order.
func indexImages(t *testing.T, idx v1.ImageIndex) ([]v1.Platform, []v1.Image) {
	t.Helper()
	im, err := idx.IndexManifest()
	noErr(t, err)
	var ps []v1.Platform
	var imgs []v1.Image
	for _, d := range im.Manifests {
		ps = append(ps, *d.Platform)
		img, err := idx.Image(d.Digest)
		noErr(t, err)
		imgs = append(imgs, img)
	}
	return ps, imgs
}

func TestBuildRegistryBase(t *testing.T) {
	ctx := context.Background()
	reg := newBuildRegistry(t)
	baseRef := reg.host + "/base/static:nonroot"
	baseIdx := baseIndexFixture(t, linuxAMD64, linuxARM64)
	pushIndex(t, baseRef, baseIdx)
	baseDigest, err := baseIdx.Digest()
	noErr(t, err)
	reg.reset()

	data := t.TempDir()
	noErr(t, os.WriteFile(filepath.Join(data, "hello.txt"), []byte("hi"), 0o644))
	settings := config.Settings{
		Platforms:   []string{"linux/amd64", "linux/arm64"},
		Env:         []string{"GOFLAGS=-mod=vendor"},
		Ldflags:     []string{"-X main.version={{.Version}}"},
		User:        "65532",
		Labels:      map[string]string{"org.opencontainers.image.version": "{{.Version}}"},
		Annotations: map[string]string{"org.opencontainers.image.source": "https://example.com/{{.Image}}"},
	}
	cfg := configFixture(t,
		config.Image{Name: "api", Settings: settings, BaseRef: baseRef, Data: data},
		config.Image{Name: "worker", Settings: settings, BaseRef: baseRef, Binary: "wrk"},
	)
	fc := &fakeCompiler{}
	targets, err := targetsOf(ctx, cfg, nil, config.BuildInfo{Version: "1.2.3"}, func(image string) map[string]string {
		return map[string]string{"dev.gobake.inputs.digest": "inputs-of-" + image}
	})
	noErr(t, err)
	results, err := NewBuilder(WithCompiler(fc), WithSBOMFormats(), WithEnviron([]string{})).Build(ctx, targets)
	noErr(t, err)

	// The index manifest and each platform manifest of the base are fetched
	// once for the whole run, though two images share them.
	if n := reg.count("GET", "/v2/base/static/manifests/nonroot"); n != 1 {
		t.Errorf("base index fetched %d times, want 1", n)
	}
	if n := reg.count("GET", "/v2/base/static/manifests/sha256:"); n != 2 {
		t.Errorf("base platform manifests fetched %d times, want 2", n)
	}
	if len(fc.reqs) != 4 {
		t.Errorf("compiled %d times, want 4", len(fc.reqs))
	}
	for _, req := range fc.reqs {
		if got, want := req.Ldflags, []string{"-X main.version=1.2.3"}; !cmp.Equal(got, want) {
			t.Errorf("ldflags of %s = %q, want %q", req.Image, got, want)
		}
	}

	if len(results) != 2 || results[0].Name != "api" || results[1].Name != "worker" {
		t.Fatalf("results = %+v, want api and worker", results)
	}
	for _, r := range results {
		t.Run(r.Name, func(t *testing.T) {
			if r.Index == nil || r.Image != nil {
				t.Fatalf("want an index only, got %+v", r)
			}
			mt, err := r.Index.MediaType()
			noErr(t, err)
			if mt != types.OCIImageIndex {
				t.Errorf("index media type = %s", mt)
			}
			im, err := r.Index.IndexManifest()
			noErr(t, err)
			wantAnns := map[string]string{
				"org.opencontainers.image.source": "https://example.com/" + r.Name,
				BaseNameAnnotation:                baseRef,
				BaseDigestAnnotation:              baseDigest.String(),
				"dev.gobake.inputs.digest":        "inputs-of-" + r.Name,
			}
			if diff := cmp.Diff(wantAnns, im.Annotations); diff != "" {
				t.Errorf("index annotations (-want +got):\n%s", diff)
			}
			ps, imgs := indexImages(t, r.Index)
			if diff := cmp.Diff([]v1.Platform{linuxAMD64, linuxARM64}, ps); diff != "" {
				t.Errorf("index platforms (-want +got):\n%s", diff)
			}
			binary := map[string]string{"api": "api", "worker": "wrk"}[r.Name]
			for i, img := range imgs {
				checkPlatformImage(t, img, ps[i], r.Name, binary, r.Name == "api")
			}
		})
	}
}

// checkPlatformImage checks the configuration, annotations and layers of
// one image built by TestBuildRegistryBase.
func checkPlatformImage(t *testing.T, img v1.Image, p v1.Platform, name, binary string, withData bool) {
	t.Helper()
	cf, err := img.ConfigFile()
	noErr(t, err)
	if got := *cf.Platform(); !got.Equals(p) {
		t.Errorf("config platform = %v, want %v", got, p)
	}
	// KO_DATA_PATH is set with or without data, as ko does.
	wantEnv := []string{"PATH=/usr/bin:/bin:/ko-app", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "KO_DATA_PATH=/var/run/ko"}
	want := v1.Config{
		Entrypoint: []string{"/ko-app/" + binary},
		Env:        wantEnv,
		User:       "65532",
		Labels:     map[string]string{"from": "base", "org.opencontainers.image.version": "1.2.3"},
	}
	if diff := cmp.Diff(want, cf.Config); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if !cf.Created.Time.Equal(time.Unix(0, 0)) {
		t.Errorf("created = %v, want the Unix epoch", cf.Created.Time)
	}
	m, err := img.Manifest()
	noErr(t, err)
	if m.Annotations[BaseNameAnnotation] == "" || !strings.HasPrefix(m.Annotations[BaseDigestAnnotation], "sha256:") {
		t.Errorf("manifest annotations lack the base: %v", m.Annotations)
	}
	if got := m.Annotations["dev.gobake.inputs.digest"]; got != "inputs-of-"+name {
		t.Errorf("inputs annotation = %q", got)
	}
	layers, err := img.Layers()
	noErr(t, err)
	top := layerEntries(t, layers[len(layers)-1])
	last := top[len(top)-1]
	if last.Name != "ko-app/"+binary || last.Mode != 0o555 || last.Body != "binary of "+name+" for "+platform.Format(p) {
		t.Errorf("binary entry = %+v", last)
	}
	// Base, data, binary: like ko, the data layer is there without data,
	// holding just /var/run/ko and its parents.
	if len(layers) != 3 {
		t.Fatalf("%d layers, want 3", len(layers))
	}
	data := layerEntries(t, layers[1])
	wantLast := tarEntry{Name: "/var/run/ko", Type: tar.TypeDir, Mode: 0o555, ModTime: time.Unix(0, 0).UTC()}
	if withData {
		wantLast = tarEntry{Name: "/var/run/ko/hello.txt", Type: tar.TypeReg, Mode: 0o555, Body: "hi", ModTime: time.Unix(0, 0).UTC()}
	}
	if diff := cmp.Diff(wantLast, data[len(data)-1]); diff != "" {
		t.Errorf("last data entry (-want +got):\n%s", diff)
	}
}

func TestBuildScratchOnePlatform(t *testing.T) {
	cfg := configFixture(t, config.Image{Name: "api", Settings: config.Settings{Platforms: []string{"linux/arm/v7"}}})
	results, err := buildAll(t, cfg, "", WithCompiler(&fakeCompiler{}), WithSBOMFormats(), WithEnviron([]string{"SOURCE_DATE_EPOCH=1700000000"}))
	noErr(t, err)
	if len(results) != 1 || results[0].Image == nil || results[0].Index != nil {
		t.Fatalf("want one single image, got %+v", results)
	}
	img := results[0].Image
	m, err := img.Manifest()
	noErr(t, err)
	if m.MediaType != types.OCIManifestSchema1 || m.Config.MediaType != types.OCIConfigJSON {
		t.Errorf("media types = %s, %s; want OCI", m.MediaType, m.Config.MediaType)
	}
	if len(m.Annotations) != 0 {
		t.Errorf("scratch image has annotations %v", m.Annotations)
	}
	cf, err := img.ConfigFile()
	noErr(t, err)
	wantCreated := time.Unix(1700000000, 0).UTC()
	got := struct {
		Platform   v1.Platform
		Created    time.Time
		Entrypoint []string
		Env        []string
	}{*cf.Platform(), cf.Created.Time.UTC(), cf.Config.Entrypoint, cf.Config.Env}
	want := struct {
		Platform   v1.Platform
		Created    time.Time
		Entrypoint []string
		Env        []string
	}{v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, wantCreated, []string{"/ko-app/api"}, []string{"PATH=" + defaultPath + ":/ko-app", "KO_DATA_PATH=/var/run/ko"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	layers, err := img.Layers()
	noErr(t, err)
	if len(layers) != 2 {
		t.Fatalf("%d layers, want 2 (data, binary)", len(layers))
	}
	for _, e := range layerEntries(t, layers[0]) {
		if !e.ModTime.Equal(wantCreated) {
			t.Errorf("%s mtime = %v, want SOURCE_DATE_EPOCH", e.Name, e.ModTime)
		}
	}
}

func TestBuildLayoutBase(t *testing.T) {
	// A layout with two entries: an index tagged "multi" and an amd64
	// image tagged "amd64".
	dir := filepath.Join(t.TempDir(), "bases", "static")
	lp, err := layout.Write(dir, mutate.IndexMediaType(emptyOCIIndex(), types.OCIImageIndex))
	noErr(t, err)
	noErr(t, lp.AppendIndex(baseIndexFixture(t, linuxAMD64, linuxARM64), layout.WithAnnotations(map[string]string{AnnotationRefName: "multi"})))
	amd := baseFixture(t, linuxAMD64)
	noErr(t, lp.AppendImage(amd, layout.WithAnnotations(map[string]string{AnnotationRefName: "amd64"})))
	amdDigest, err := amd.Digest()
	noErr(t, err)

	tests := []struct {
		name          string
		ref           string
		platforms     []string
		wantPlatforms []v1.Platform // nil: a single image
		wantDigest    string        // of the base; "" for the layout's index
	}{
		{name: "first entry, all platforms", ref: "oci:" + dir, platforms: []string{"all"},
			wantPlatforms: []v1.Platform{linuxAMD64, linuxARM64}},
		{name: "by tag", ref: "oci:" + dir + ":amd64", platforms: []string{"linux/amd64"}, wantDigest: amdDigest.String()},
		{name: "by digest", ref: "oci:" + dir + "@" + amdDigest.String(), platforms: []string{"all"}, wantDigest: amdDigest.String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := configFixture(t, config.Image{Name: "api", BaseRef: tt.ref, Settings: config.Settings{Platforms: tt.platforms}})
			cfg.Root = filepath.Dir(filepath.Dir(dir))
			results, err := buildAll(t, cfg, "", WithCompiler(&fakeCompiler{}), WithSBOMFormats())
			noErr(t, err)
			r := results[0]
			var anns map[string]string
			if tt.wantPlatforms == nil {
				if r.Image == nil {
					t.Fatal("want a single image")
				}
				m, err := r.Image.Manifest()
				noErr(t, err)
				anns = m.Annotations
			} else {
				if r.Index == nil {
					t.Fatal("want an index")
				}
				ps, _ := indexImages(t, r.Index)
				if diff := cmp.Diff(tt.wantPlatforms, ps); diff != "" {
					t.Errorf("platforms (-want +got):\n%s", diff)
				}
				im, err := r.Index.IndexManifest()
				noErr(t, err)
				anns = im.Annotations
			}
			// An oci: base has no pullable name: only its digest is recorded.
			if got, ok := anns[BaseNameAnnotation]; ok {
				t.Errorf("base name = %q, want none for a layout base", got)
			}
			if got := anns[BaseDigestAnnotation]; !strings.HasPrefix(got, "sha256:") || tt.wantDigest != "" && got != tt.wantDigest {
				t.Errorf("base digest = %q, want %q", got, tt.wantDigest)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	reg := newBuildRegistry(t)
	baseRef := reg.host + "/base/static:amd64-only"
	pushIndex(t, baseRef, baseIndexFixture(t, linuxAMD64))

	cfg := configFixture(t,
		config.Image{Name: "api", Settings: config.Settings{Platforms: []string{"linux/amd64", "linux/arm64"}}},
		config.Image{Name: "ok", Settings: config.Settings{Platforms: []string{"linux/amd64"}}},
		config.Image{Name: "worker", BaseRef: baseRef, Settings: config.Settings{Platforms: []string{"linux/amd64", "linux/arm64"}}},
		config.Image{Name: "missing", BaseRef: reg.host + "/base/nothere:latest", Settings: config.Settings{Platforms: []string{"linux/amd64"}}},
	)
	fc := &fakeCompiler{fail: func(req CompileRequest) error {
		if req.Image == "api" && req.Platform.Architecture == "arm64" {
			return fmt.Errorf("go build %s for %s: exit status 1\nmain.go:3: undefined: x", req.Image, platform.Format(req.Platform))
		}
		return nil
	}}
	// Bases and platforms are resolved before anything is built: an image
	// whose base lacks a platform, or cannot be fetched, is reported then.
	targets, err := targetsOf(context.Background(), cfg, nil, config.BuildInfo{}, nil)
	if err == nil {
		t.Fatal("resolving targets succeeded")
	}
	for _, want := range []string{
		"image worker: linux/arm64: base " + baseRef + " has no linux/arm64 image",
		"image missing: base " + reg.host + "/base/nothere:latest",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%v", want, err)
		}
	}
	results, err := NewBuilder(WithCompiler(fc), WithSBOMFormats()).Build(context.Background(), targets)
	if err == nil {
		t.Fatal("Build succeeded")
	}
	if want := "go build api for linux/arm64: exit status 1"; !strings.Contains(err.Error(), want) {
		t.Errorf("error does not contain %q:\n%v", want, err)
	}
	if len(results) != 1 || results[0].Name != "ok" {
		t.Errorf("results = %+v, want only ok", results)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ok, err := targetsOf(context.Background(), cfg, []string{"ok"}, config.BuildInfo{}, nil)
	noErr(t, err)
	_, err = NewBuilder(WithCompiler(fc), WithSBOMFormats()).Build(ctx, ok)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled build error = %v, want context.Canceled", err)
	}
}

// TestBuildZstd builds an image whose settings ask for zstd: its layers
// have the OCI zstd media type and read back (go-containerregistry
// detects the compression), and the same build gives the same digest. A
// Docker-typed base cannot carry zstd layers: the build says so.
func TestBuildZstd(t *testing.T) {
	cfg := configFixture(t, config.Image{Name: "api", Settings: config.Settings{Platforms: []string{"linux/amd64"}, Compression: config.CompressionZstd}})
	build := func() v1.Image {
		results, err := buildAll(t, cfg, "", WithCompiler(&fakeCompiler{}), WithSBOMFormats(), WithLayerCache("", 0))
		noErr(t, err)
		return results[0].Image
	}
	img := build()
	layers, err := img.Layers()
	noErr(t, err)
	var got []types.MediaType
	for _, l := range layers {
		mt, err := l.MediaType()
		noErr(t, err)
		got = append(got, mt)
	}
	if diff := cmp.Diff([]types.MediaType{types.OCILayerZStd, types.OCILayerZStd}, got); diff != "" {
		t.Errorf("layer media types (-want +got):\n%s", diff)
	}
	var names []string
	for _, e := range layerEntries(t, layers[1]) {
		names = append(names, e.Name+" "+e.Body)
	}
	if diff := cmp.Diff([]string{"ko-app/ ", "ko-app/api binary of api for linux/amd64"}, names); diff != "" {
		t.Errorf("binary layer entries (-want +got):\n%s", diff)
	}
	d1, err := img.Digest()
	noErr(t, err)
	d2, err := build().Digest()
	noErr(t, err)
	if d1 != d2 {
		t.Errorf("zstd builds differ: %s, %s", d1, d2)
	}

	docker := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.DockerManifestSchema2), types.DockerConfigJSON)
	_, err = assemble(assembly{image: "api", base: baseImage{image: docker, name: "example.com/docker-base"}, binaryPath: "/nonexistent",
		binary: "api", compression: CompressionZstd})
	if err == nil || !strings.Contains(err.Error(), "zstd layers need an OCI base image") {
		t.Errorf("zstd on a Docker base: err = %v, want one saying it needs an OCI base", err)
	}
}
