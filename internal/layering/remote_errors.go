package layering

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
)

// isRetryable reports whether a failed registry request is worth another
// try: transient network failures and temporary registry errors. A refused,
// timed out or unresolvable connection is not retried, so that an
// unreachable registry fails fast.
func isRetryable(err error) bool {
	if err == nil || isDialError(err) {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, net.ErrClosed) {
		return true
	}
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// isDialError reports whether err comes from failing to connect at all.
func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// unreachableError is returned when a registry cannot be connected to.
type unreachableError struct {
	registry string
	err      error
}

// Error names the registry and the network failure on one line.
func (e *unreachableError) Error() string {
	var op *net.OpError
	cause := e.err
	if errors.As(e.err, &op) {
		cause = op
	} else {
		var dns *net.DNSError
		if errors.As(e.err, &dns) {
			cause = dns
		}
	}
	return fmt.Sprintf("registry %s is unreachable: %s", e.registry, oneLine(cause.Error()))
}

// Unwrap returns the underlying network error.
func (e *unreachableError) Unwrap() error { return e.err }

// tlsError is returned when a registry's TLS certificate is not trusted.
type tlsError struct {
	registry string
	err      error
}

// Error names the registry, the certificate problem and the ways out on
// one line.
func (e *tlsError) Error() string {
	cause := e.err
	var cv *tls.CertificateVerificationError
	if errors.As(e.err, &cv) {
		cause = cv
	}
	return fmt.Sprintf("registry %s: TLS certificate not trusted (%s): add its CA to the system's trusted certificates (or $SSL_CERT_FILE), or pass --insecure to skip verification",
		e.registry, oneLine(cause.Error()))
}

// Unwrap returns the underlying TLS error.
func (e *tlsError) Unwrap() error { return e.err }

// isTLSError reports whether err comes from a certificate that does not
// verify.
func isTLSError(err error) bool {
	var (
		cv       *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	return errors.As(err, &cv) || errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid)
}

// registryFault returns the error to report when err shows that registry
// cannot be talked to at all (no connection, an untrusted certificate),
// and nil for any other error, an HTTP answer included.
func registryFault(registry string, err error) error {
	var (
		u *unreachableError
		t *tlsError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &u) || errors.As(err, &t):
		return err
	case isTLSError(err):
		return &tlsError{registry: registry, err: err}
	case isDialError(err):
		return &unreachableError{registry: registry, err: err}
	}
	return nil
}

// classifyRegistryError turns a failure to connect to registry into an
// unreachableError, an untrusted certificate into a tlsError, and leaves
// other errors alone.
func classifyRegistryError(registry string, err error) error {
	if f := registryFault(registry, err); f != nil {
		return f
	}
	return err
}

// oneLine joins the lines of s with "; " so that an error fits on one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, "; ")
}
