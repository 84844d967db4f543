package release_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gobake/gobake/internal/release"
	"github.com/gobake/gobake/internal/testutil"
	"github.com/gobake/gobake/schema"
)

// TestFailedReportMatchesSchema releases with a release.tags template
// that renders an invalid tag: the release fails while planning, and its
// report still matches schema/release.schema.json, every list a list
// ("tags": [], never null).
func TestFailedReportMatchesSchema(t *testing.T) {
	w := newWorld(t)
	src := w.clone(t)
	b, err := os.ReadFile(filepath.Join(src.Dir, "gobake.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	yaml := string(b) + "release:\n  tags: [\"{{.Env.GOBAKE_TEST_TAG}}\"]\n"
	src.Commit("ci: a tag from the environment", map[string]string{"gobake.yaml": yaml})
	src.Git("push", "--quiet", "origin", "main")
	t.Setenv("GOBAKE_TEST_TAG", "-not-a-tag")

	rep, err, log := w.run(t, src.Dir, release.Options{})
	if err == nil || !strings.Contains(err.Error(), "not a valid tag") {
		t.Fatalf("release error %v, want the invalid tag named\n%s", err, log)
	}
	doc, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	testutil.CheckSchema(t, "release.schema.json", schema.Release, doc)
	if len(rep.Images) == 0 {
		t.Errorf("the report names no image; the test no longer reaches an image's tags:\n%s", doc)
	}
}
