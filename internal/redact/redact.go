// Package redact hides the credentials that URLs carry
// (https://user:TOKEN@host/…) in any text gobake prints, writes or returns
// as an error. It is plumbing: every package may use it, and it uses none.
package redact

import (
	"errors"
	"regexp"
	"strings"
)

// Mask replaces the credentials of a URL.
const Mask = "***"

// userinfoRE matches "scheme://" and the user information that follows,
// up to the last "@" before the path. Passwords may hold unescaped "@" and
// ":" (people paste them so), so everything up to the last "@" of the
// authority counts.
var userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)([^/?#\s'"<>\x60]*)@`)

// String returns s with the user information of every URL in it replaced
// by Mask: https://x:TOKEN@host/r.git becomes https://***@host/r.git. A
// token may stand in the user name alone (https://TOKEN@host), so the
// whole user information goes; only an ssh URL's plain user name (no
// password), which is no secret, stays.
func String(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return userinfoRE.ReplaceAllStringFunc(s, func(m string) string {
		i := strings.Index(m, "://") + len("://")
		scheme, info := strings.ToLower(m[:i]), m[i:len(m)-1]
		if info == "" || info == Mask {
			return m
		}
		if (scheme == "ssh://" || scheme == "git+ssh://" || scheme == "ssh+git://") && !strings.Contains(info, ":") {
			return m
		}
		return m[:i] + Mask + "@"
	})
}

// Error returns err with its message redacted by String, nil for nil. The
// result still unwraps to err, so errors.Is and errors.As see through it;
// only its message changes.
func Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if r := String(msg); r != msg {
		return &redacted{msg: r, err: err}
	}
	return err
}

// redacted is an error whose message hides credentials.
type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// Is lets errors.Is match the wrapped error.
func (e *redacted) Is(target error) bool { return errors.Is(e.err, target) }
