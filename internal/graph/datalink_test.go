package graph

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestDataLinkRepointed checks that the input digest covers what the data
// layer ships for a symbolic link, its target path: repointing a link to
// another file with the same content changes the image's digest, and the
// plan says why. (The digest used to hash the target's content, so the
// plan said unchanged while the image changed.)
func TestDataLinkRepointed(t *testing.T) {
	ctx := context.Background()
	root := copySample(t)
	kodata := filepath.Join(root, "services/api/cmd/api/kodata")
	msg, err := os.ReadFile(filepath.Join(kodata, "message.txt"))
	noErrT(t, err)
	noErrT(t, os.WriteFile(filepath.Join(kodata, "copy.txt"), msg, 0o644))
	link := filepath.Join(kodata, "current.txt")
	noErrT(t, os.Symlink("message.txt", link))
	cfg := sampleConfig(root)
	bases := fakeBases{}

	before, err := Compute(ctx, cfg, Options{Targets: bases.targets(t, cfg)})
	noErrT(t, err)
	noErrT(t, os.Remove(link))
	noErrT(t, os.Symlink("copy.txt", link))
	after, err := Compute(ctx, cfg, Options{Targets: bases.targets(t, cfg)})
	noErrT(t, err)

	for _, img := range []string{"api", "web"} {
		changed := before.Records[img].Platform("linux/amd64").Digest != after.Records[img].Platform("linux/amd64").Digest
		if want := img == "api"; changed != want {
			t.Errorf("%s: digest changed = %t, want %t", img, changed, want)
		}
	}
	for _, p := range Plan(after, before.Records) {
		if p.Image == "api" && !containsReason(p.Changes, "data current.txt changed") {
			t.Errorf("api: reasons %q lack %q", reasons(p.Changes), "data current.txt changed")
		}
	}
}

func noErrT(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
