package graph

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestDataModesAreNotInputs checks that the modes of data files and
// directories leave the input digest alone: the data layer writes every
// entry 0555 whatever its mode in the checkout (as ko does), so checkouts
// with another umask must plan the same images. (The digest used to cover
// the modes: a chmod, or a CI checkout with umask 077, changed every image
// with data.)
func TestDataModesAreNotInputs(t *testing.T) {
	ctx := context.Background()
	root := copySample(t)
	cfg := sampleConfig(root)
	bases := fakeBases{}
	kodata := filepath.Join(root, "services/api/cmd/api/kodata")
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	check(os.MkdirAll(filepath.Join(kodata, "static"), 0o755))
	check(os.WriteFile(filepath.Join(kodata, "static", "a.css"), []byte("a"), 0o644))

	before, err := Compute(ctx, cfg, Options{Targets: bases.targets(t, cfg)})
	check(err)
	check(os.Chmod(filepath.Join(kodata, "message.txt"), 0o755))
	check(os.Chmod(filepath.Join(kodata, "static", "a.css"), 0o600))
	check(os.Chmod(filepath.Join(kodata, "static"), 0o700))
	after, err := Compute(ctx, cfg, Options{Targets: bases.targets(t, cfg)})
	check(err)

	for img, rec := range before.Records {
		if got, want := after.Records[img].Platform("linux/amd64").Digest, rec.Platform("linux/amd64").Digest; got != want {
			t.Errorf("%s: digest changed with the modes of data files: %s → %s", img, want, got)
		}
	}
}
