package layering

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// layoutWriterEnv makes the test binary a layout writer (see
// TestLayoutWriterProcess): "DIR REPOSITORY".
const layoutWriterEnv = "LAYERING_TEST_LAYOUT_WRITER" // not GOBAKE_*: testutil.Main unsets those

// TestLayoutPublisherProcesses runs two processes that each publish one
// image under 10 tags, one Publish per tag, into one OCI layout at the same
// time, as two `gobake build --oci-layout DIR` do: all 20 tags must be in
// index.json. Without a lock shared between processes, each process's
// read-modify-write of index.json drops the other's new entries.
func TestLayoutPublisherProcesses(t *testing.T) {
	dir := t.TempDir()
	const procs, tags = 2, 10
	var cmds []*exec.Cmd
	for i := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLayoutWriterProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s svc%d", layoutWriterEnv, dir, i))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		noErr(t, cmd.Start())
		cmds = append(cmds, cmd)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	got := layoutRefs(t, dir)
	gotNames := map[string]bool{}
	for n := range got {
		gotNames[n] = true
	}
	want := map[string]bool{}
	for i := range procs {
		for k := range tags {
			want[fmt.Sprintf("svc%d:t%d", i, k)] = true
		}
	}
	if diff := cmp.Diff(want, gotNames); diff != "" {
		t.Errorf("index.json refs after two processes wrote %d tags each (-want +got):\n%s", tags, diff)
	}
	checkLayoutBlobs(t, dir)
}

// TestLayoutWriterProcess is the writer process of
// TestLayoutPublisherProcesses; it does nothing in a normal test run.
func TestLayoutWriterProcess(t *testing.T) {
	arg := os.Getenv(layoutWriterEnv)
	if arg == "" {
		return
	}
	var dir, repo string
	if _, err := fmt.Sscan(arg, &dir, &repo); err != nil {
		t.Fatalf("%s=%q: %v", layoutWriterEnv, arg, err)
	}
	r := testImageResult(t, repo)
	r.Referrers = nil
	p := NewLayoutPublisher(dir)
	for k := range 10 {
		if _, err := p.Publish(context.Background(), r, []string{"t" + strconv.Itoa(k)}); err != nil {
			t.Fatal(err)
		}
	}
}
