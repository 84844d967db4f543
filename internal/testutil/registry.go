package testutil

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// registryBin is the CNCF distribution registry packaged by Debian.
const registryBin = "/usr/bin/docker-registry"

// Registry is a docker-registry process serving plain HTTP on 127.0.0.1,
// with filesystem storage in a temporary directory and deletes enabled.
// Stop and Start simulate an outage: the port and the storage are kept.
type Registry struct {
	// Host is the registry's host:port, e.g. "127.0.0.1:41234".
	Host string
	// Storage is the directory the registry stores blobs and manifests in.
	Storage string

	t      testing.TB
	config string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	logs *syncBuffer
}

// StartRegistry starts a registry on a free port and stops it when the test
// ends. It fails t when docker-registry is not installed or does not answer.
func StartRegistry(t testing.TB) *Registry {
	t.Helper()
	if _, err := os.Stat(registryBin); err != nil {
		t.Fatalf("%s is required by this test but missing (apt-get install -y docker-registry, or run scripts/test.sh as root): %v", registryBin, err)
	}
	dir := t.TempDir()
	host := FreeAddr(t)
	config := filepath.Join(dir, "config.yml")
	yml := fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
`, filepath.Join(dir, "storage"), host)
	if err := os.WriteFile(config, []byte(yml), 0o644); err != nil {
		t.Fatalf("write registry config: %v", err)
	}
	r := &Registry{Host: host, Storage: filepath.Join(dir, "storage"), t: t, config: config}
	t.Cleanup(r.Stop)
	r.Start()
	return r
}

// Start (re)starts a stopped registry on the same port and storage and
// waits until /v2/ answers. A failure fails the test that started the
// registry, so call it from that test's goroutine or its subtests.
func (r *Registry) Start() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil {
		r.t.Fatalf("registry %s: Start while running", r.Host)
	}
	logs := &syncBuffer{}
	cmd := exec.Command(registryBin, "serve", r.config)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("start registry %s: %v", r.Host, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	r.cmd, r.done, r.logs = cmd, done, logs

	url := "http://" + r.Host + "/v2/"
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-done:
			r.cmd = nil
			r.t.Fatalf("registry %s exited at start:\n%s", r.Host, logs.String())
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("registry %s did not answer %s within 15s (last error %v):\n%s", r.Host, url, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop kills the registry and waits for it to exit. Stopping a stopped
// registry does nothing.
func (r *Registry) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	<-r.done
	r.cmd = nil
}

// Logs returns what the current (or last) registry process wrote.
func (r *Registry) Logs() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.logs == nil {
		return ""
	}
	return r.logs.String()
}

// FreeAddr returns a 127.0.0.1:PORT where nothing listens: the port was
// free a moment ago. Use it for a server to start, or as an unreachable
// registry.
func FreeAddr(t testing.TB) string {
	t.Helper()
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	return addr
}

// syncBuffer is a bytes.Buffer safe for a process writing while a test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
