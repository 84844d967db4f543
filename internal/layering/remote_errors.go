package layering

import (
	"context"
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

// classifyRegistryError turns a failure to connect to registry into an
// unreachableError and leaves other errors alone.
func classifyRegistryError(registry string, err error) error {
	if err == nil || !isDialError(err) {
		return err
	}
	var u *unreachableError
	if errors.As(err, &u) {
		return err
	}
	return &unreachableError{registry: registry, err: err}
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
