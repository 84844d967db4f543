package redact

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://x:TOKEN@host/deploy.git", "https://***@host/deploy.git"},
		{"https://TOKEN@github.com/acme/deploy", "https://***@github.com/acme/deploy"},
		{"http://u:p@127.0.0.1:5000/r", "http://***@127.0.0.1:5000/r"},
		{"git push https://x:p@ss@host/r.git failed", "git push https://***@host/r.git failed"},
		{"fatal: unable to access 'https://x:tok@host/r.git/': 403", "fatal: unable to access 'https://***@host/r.git/': 403"},
		{`repo "https://a:b@h/r" and https://c:d@h2`, `repo "https://***@h/r" and https://***@h2`},
		{"HTTPS://A:B@H/r", "HTTPS://***@H/r"},
		{"https://x:tok@host?q=1", "https://***@host?q=1"},
		{"ssh://git@host/r.git", "ssh://git@host/r.git"},
		{"ssh://git:secret@host/r.git", "ssh://***@host/r.git"},
		{"git@github.com:acme/deploy.git", "git@github.com:acme/deploy.git"},
		{"https://host/path@v1", "https://host/path@v1"},
		{"user@example.com wrote https://host/r", "user@example.com wrote https://host/r"},
		{"https://***@host/r", "https://***@host/r"},
		{"no url here", "no url here"},
		{"", ""},
	} {
		if got := String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestError(t *testing.T) {
	if Error(nil) != nil {
		t.Fatal("Error(nil) != nil")
	}
	plain := errors.New("nothing secret")
	if Error(plain) != plain {
		t.Error("an error without credentials should come back as is")
	}
	err := Error(fmt.Errorf("clone https://x:TOKEN@host/r.git: %w", fs.ErrNotExist))
	if got, want := err.Error(), "clone https://***@host/r.git: file does not exist"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Error("the redacted error no longer matches what it wraps")
	}
}

func TestWriter(t *testing.T) {
	var out strings.Builder
	w := NewWriter(&out)
	for _, s := range []string{"push to https://x:TO", "KEN@host/r.git failed\nnext ", "line https://a:b@h", "/r"} {
		if _, err := w.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := out.String(), "push to https://***@host/r.git failed\n"; got != want {
		t.Errorf("before Flush: %q, want %q", got, want)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "push to https://***@host/r.git failed\nnext line https://***@h/r"; got != want {
		t.Errorf("after Flush: %q, want %q", got, want)
	}
}
