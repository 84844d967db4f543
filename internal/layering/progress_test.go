package layering

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/gobake/gobake/internal/config"
)

// eventLog is an Observer recording, per image, its events as
// "platform phase" strings.
type eventLog struct {
	mu     sync.Mutex
	events map[string][]string
	pushes []Event // PhasePush events with bytes
}

func (l *eventLog) Observe(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.events == nil {
		l.events = map[string][]string{}
	}
	if e.Phase == PhasePush && e.Total > 0 {
		l.pushes = append(l.pushes, e)
		return
	}
	s := strings.TrimSpace(e.Platform + " " + string(e.Phase))
	if e.Reference != "" {
		s += " " + e.Reference[:strings.Index(e.Reference, "@")]
	}
	if e.Err != nil {
		s += " with error"
	}
	l.events[e.Image] = append(l.events[e.Image], s)
}

// TestBuilderEvents builds two images, one of whose platforms fails to
// compile: each platform reports compile then layer, or compile then
// failed.
func TestBuilderEvents(t *testing.T) {
	cfg := configFixture(t,
		config.Image{Name: "api", Settings: config.Settings{Platforms: []string{"linux/amd64", "linux/arm64"}}},
		config.Image{Name: "ok", Settings: config.Settings{Platforms: []string{"linux/amd64"}}},
	)
	fc := &fakeCompiler{fail: func(req CompileRequest) error {
		if req.Image == "api" && req.Platform.Architecture == "arm64" {
			return fmt.Errorf("go build api: exit status 1")
		}
		return nil
	}}
	var log eventLog
	_, err := buildAll(t, cfg, "", WithCompiler(fc), WithSBOMFormats(), WithObserver(&log), WithJobs(1))
	if err == nil {
		t.Fatal("Build succeeded")
	}
	// Platforms of one image run concurrently: compare each platform's
	// events in order.
	got := map[string][]string{}
	for image, events := range log.events {
		for _, e := range events {
			p, phase, _ := strings.Cut(e, " ")
			got[image+" "+p] = append(got[image+" "+p], phase)
		}
	}
	want := map[string][]string{
		"api linux/amd64": {"compile", "layer"},
		"api linux/arm64": {"compile", "failed with error"},
		"ok linux/amd64":  {"compile", "layer"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events per platform (-want +got):\n%s", diff)
	}
}

// TestPublishEvents publishes to a registry through ObservePublisher with
// WithRegistryObserver: push, then bytes growing to their total, then done
// with the reference; a failing publish ends with failed.
func TestPublishEvents(t *testing.T) {
	host, _ := testRegistry(t, false, nil)
	var log eventLog
	pub := ObservePublisher(NewRegistryPublisher(host, append(testRegistryOptions(), WithRegistryObserver(&log))...), &log)
	r := testImageResult(t, "app")
	if _, err := pub.Publish(context.Background(), r, []string{"v1"}); err != nil {
		t.Fatal(err)
	}
	bad := ObservePublisher(failingPublisher{}, &log)
	if _, err := bad.Publish(context.Background(), Result{Name: "broken"}, nil); err == nil {
		t.Fatal("failingPublisher succeeded")
	}
	want := map[string][]string{
		"app":    {"push", "done " + host + "/app"},
		"broken": {"push", "failed with error"},
	}
	if diff := cmp.Diff(want, log.events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if len(log.pushes) == 0 {
		t.Fatal("no push event with bytes")
	}
	if !slices.IsSortedFunc(log.pushes, func(a, b Event) int { return int(a.Complete - b.Complete) }) {
		t.Errorf("bytes pushed go backwards: %+v", log.pushes)
	}
	last := log.pushes[len(log.pushes)-1]
	if last.Image != "app" || last.Complete == 0 || last.Complete != last.Total {
		t.Errorf("last push event = %+v, want app with every byte pushed", last)
	}
}

// failingPublisher fails every Publish.
type failingPublisher struct{}

func (failingPublisher) Publish(context.Context, Result, []string) (name.Digest, error) {
	return name.Digest{}, errors.New("push refused")
}
