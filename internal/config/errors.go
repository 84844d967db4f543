package config

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/go-multierror"

	"github.com/gobake/gobake/internal/errlines"
)

// Error is one problem found in gobake.yaml. Load and the render functions
// return it inside a multi-error; use errors.As or Errors to inspect it.
type Error struct {
	File  string // path of the file, as given to Load
	Line  int    // 1-based line; 0 when the problem has no position
	Col   int    // 1-based column; 0 when the problem has no position
	Field string // key path, e.g. images.api.platforms[1]; "" for the whole file
	Msg   string // what is wrong
}

// Error formats the problem as "file:line:col: field: msg".
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors returns every *Error inside err, in the order they are reported.
func Errors(err error) []*Error {
	var out []*Error
	var merr *multierror.Error
	if errors.As(err, &merr) {
		for _, e := range merr.Errors {
			out = append(out, Errors(e)...)
		}
		return out
	}
	var e *Error
	if errors.As(err, &e) {
		out = append(out, e)
	}
	return out
}

// problems collects the errors of one load or render.
type problems struct {
	file string
	mu   sync.Mutex // images are checked concurrently
	errs []*Error
}

// add records a problem at a position.
func (p *problems) add(line, col int, field, format string, args ...any) {
	e := &Error{File: p.file, Line: line, Col: col, Field: field, Msg: fmt.Sprintf(format, args...)}
	p.mu.Lock()
	p.errs = append(p.errs, e)
	p.mu.Unlock()
}

// err returns the problems sorted by position as one error, or nil.
func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	errs := slices.Clone(p.errs)
	slices.SortStableFunc(errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	m := &multierror.Error{ErrorFormat: errlines.Format}
	for _, e := range errs {
		m.Errors = append(m.Errors, e)
	}
	return m
}
