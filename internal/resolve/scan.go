// Package resolve rewrites image references in Kubernetes-style YAML:
// every string value "ko://IMPORT/PATH" or "gobake://IMAGE" becomes the
// REGISTRY/REPO@sha256:… digest of the image, and every other byte of the
// input stays as it was.
package resolve

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/gobake/gobake/internal/yamldoc"
)

// The reference schemes resolve rewrites.
const (
	KoScheme     = "ko://"     // ko://IMPORT/PATH, as ko writes it
	GobakeScheme = "gobake://" // gobake://IMAGE, an image name of gobake.yaml
)

// Input is one YAML stream (a file or standard input).
type Input struct {
	Name string // shown in messages: the path as given, or "-"
	Data []byte
}

// Ref is an image reference found in an Input.
type Ref struct {
	Scheme string // KoScheme or GobakeScheme
	Target string // import path or image name, without the scheme
	File   string
	Line   int // 1-based
	Column int // 1-based, in characters
	start  int // byte offset of the reference in the input
	end    int
}

// String returns the reference as written.
func (r Ref) String() string { return r.Scheme + r.Target }

// Pos returns "file:line:col".
func (r Ref) Pos() string { return fmt.Sprintf("%s:%d:%d", r.File, r.Line, r.Column) }

// Scan finds the references of in: string values whose text, trimmed of
// white space, starts with one of the schemes (ko's rule). Mentions inside
// longer strings are not references; they are returned as warnings.
func Scan(in Input) (refs []Ref, warnings []string, err error) {
	lines := lineStarts(in.Data)
	docs, err := yamldoc.Decode(in.Data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", in.Name, err)
	}
	for _, doc := range docs {
		var walkErr error
		yamldoc.Walk(doc, func(n *yaml.Node) {
			if walkErr != nil || n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
				return
			}
			v := strings.TrimSpace(n.Value)
			scheme := ""
			for _, s := range []string{KoScheme, GobakeScheme} {
				if strings.HasPrefix(v, s) {
					scheme = s
				}
			}
			if scheme == "" {
				if strings.Contains(v, KoScheme) || strings.Contains(v, GobakeScheme) {
					warnings = append(warnings, fmt.Sprintf("%s:%d:%d: reference inside a longer string left as is (ko does the same)", in.Name, n.Line, n.Column))
				}
				return
			}
			start, ok := locate(in.Data, lines, n.Line, n.Column, v)
			if !ok {
				walkErr = fmt.Errorf("%s:%d:%d: %s: cannot rewrite this reference in place (escaped or folded); write it as a plain string", in.Name, n.Line, n.Column, printable(v))
				return
			}
			refs = append(refs, Ref{
				Scheme: scheme, Target: strings.TrimPrefix(v, scheme),
				File: in.Name, Line: n.Line, Column: n.Column,
				start: start, end: start + len(v),
			})
		})
		if walkErr != nil {
			return nil, nil, walkErr
		}
	}
	return refs, warnings, nil
}

// printable returns v as it is when it is printable on one line, else
// quoted.
func printable(v string) string {
	if strings.IndexFunc(v, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(v)
	}
	return v
}

// lineStarts returns the byte offset of the start of every line.
func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// locate returns the byte offset of text in data at or just after the
// node position line:col (1-based, col counted in characters): at it for a
// plain scalar, after the quote for a quoted one, on the next line for a
// block scalar.
func locate(data []byte, lines []int, line, col int, text string) (int, bool) {
	if line < 1 || line > len(lines) {
		return 0, false
	}
	off := lines[line-1]
	for c := 1; c < col && off < len(data); c++ {
		_, size := utf8.DecodeRune(data[off:])
		off += size
	}
	// A node's text begins within its own line, or the line after for a
	// block scalar; look no further than that.
	limit := len(data)
	if line+1 < len(lines) {
		limit = lines[line+1]
	}
	limit = min(limit+len(text), len(data))
	i := bytes.Index(data[off:limit], []byte(text))
	if i < 0 || !leadIn.Match(data[off:off+i]) {
		return 0, false // not there, or found further on (in a comment, say)
	}
	return off + i, true
}

// leadIn matches what may stand between a node's position and its text:
// an anchor and a tag, then an opening quote and blanks, or a block
// scalar's header (with a comment) and the next line's indentation.
var leadIn = regexp.MustCompile(`^(?:[&!][^ \t\r\n]*[ \t\r\n]+)*(?:["'][ \t\r\n]*|[|>][0-9+-]*[ \t]*(?:#[^\n]*)?\r?\n[ \t\r\n]*)?$`)
