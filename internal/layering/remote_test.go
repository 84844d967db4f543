package layering

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"

	"github.com/gobake/gobake/internal/imageref"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

func TestIsRetryable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{name: "nil", err: nil, want: false},
		{name: "connection refused", err: fmt.Errorf("ping: %w", refused), want: false},
		{name: "unknown host", err: &net.DNSError{Err: "no such host", Name: "nope.invalid", IsNotFound: true}, want: false},
		{name: "reset", err: &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, want: true},
		{name: "unexpected EOF", err: fmt.Errorf("copy: %w", io.ErrUnexpectedEOF), want: true},
		{name: "503", err: &transport.Error{StatusCode: http.StatusServiceUnavailable}, want: true},
		{name: "403", err: &transport.Error{StatusCode: http.StatusForbidden}, want: false},
		{name: "cancelled", err: context.Canceled, want: false},
		{name: "other", err: errors.New("manifest invalid"), want: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := isRetryable(tc.err); got != tc.want {
				t.Errorf("isRetryable(%v) = %t, want %t", tc.err, got, tc.want)
			}
		})
	}
}

func TestClassifyRegistryError(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{name: "refused", err: fmt.Errorf("Get \"http://r:1/v2/\": %w", refused), want: "registry r:1 is unreachable: dial tcp: connect: connection refused"},
		{name: "other", err: errors.New("DENIED: no"), want: "DENIED: no"},
		{name: "untrusted certificate", err: fmt.Errorf("Get \"https://r:1/v2/\": %w", x509.UnknownAuthorityError{}),
			want: "registry r:1: TLS certificate not trusted (Get \"https://r:1/v2/\": x509: certificate signed by unknown authority): " +
				"add its CA to the system's trusted certificates (or $SSL_CERT_FILE), or pass --insecure to skip verification"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := classifyRegistryError("r:1", tc.err)
			if got.Error() != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if !errors.Is(got, tc.err) && !errors.Is(got, refused) {
				t.Errorf("%v does not wrap the original error", got)
			}
		})
	}
}

func TestOneLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{in: "a", want: "a"},
		{in: "a\nb\r\n c \n", want: "a; b; c"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := oneLine(tc.in); got != tc.want {
				t.Errorf("oneLine(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRemoteOptions(t *testing.T) {
	// The options must be accepted by ggcr as a whole.
	host, rl := testRegistry(t, false, nil)
	ref, err := imageref.Parse(host+"/acme/api:latest", false)
	if err != nil {
		t.Fatal(err)
	}
	p := NewRegistryPublisher(host+"/acme", testRegistryOptions()...)
	if _, err := p.Publish(context.Background(), testImageResult(t, "api"), []string{"latest"}); err != nil {
		t.Fatal(err)
	}
	rl.reset()
	if _, err := remote.Get(ref, RemoteOptions(context.Background(), testRegistryOptions()...)...); err != nil {
		t.Fatal(err)
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	for _, ua := range rl.uas {
		if len(ua) < len(UserAgent) || ua[:len(UserAgent)] != UserAgent {
			t.Errorf("User-Agent %q does not start with %s", ua, UserAgent)
		}
	}
}

// TestRemoteOptionsPingOnce: the requests made with one set of
// RemoteOptions, to several repositories of a registry, ping it once.
func TestRemoteOptionsPingOnce(t *testing.T) {
	ctx := context.Background()
	reg := newBuildRegistry(t)
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	opts := RemoteOptions(ctx, testRegistryOptions()...)
	for _, repo := range []string{"api", "web", "worker"} {
		ref, err := imageref.Parse(reg.host+"/acme/"+repo+":latest", false)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, img, opts...); err != nil {
			t.Fatal(err)
		}
		if _, err := remote.Head(ref, opts...); err != nil {
			t.Fatal(err)
		}
	}
	if n := reg.requests(http.MethodGet, "/v2/"); n != 1 {
		t.Errorf("%d pings for 3 repositories, want 1", n)
	}
}
