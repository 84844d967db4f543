package gitops

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// splice is one byte-range replacement in a file.
type splice struct {
	start, end int // byte offsets; start == end inserts
	text       string
}

// source is a YAML file being edited: its bytes, where its lines start, and
// the splices collected so far.
type source struct {
	path    string
	src     []byte
	lines   []int // byte offset of the start of each line
	splices []splice
}

// newSource indexes the lines of src.
func newSource(path string, src []byte) *source {
	s := &source{path: path, src: src, lines: []int{0}}
	for i, b := range src {
		if b == '\n' {
			s.lines = append(s.lines, i+1)
		}
	}
	return s
}

// offset returns the byte offset of a yaml.v3 position (1-based line, and
// 1-based column counted in characters).
func (s *source) offset(line, col int) (int, error) {
	if line < 1 || line > len(s.lines) {
		return 0, fmt.Errorf("%s:%d: position outside the file", s.path, line)
	}
	off := s.lines[line-1]
	for range col - 1 {
		if off >= len(s.src) {
			return 0, fmt.Errorf("%s:%d:%d: position outside the file", s.path, line, col)
		}
		_, size := utf8.DecodeRune(s.src[off:])
		off += size
	}
	return off, nil
}

// extent returns the byte range the scalar n is written in, after any
// anchor or tag, quotes included.
func (s *source) extent(n *yaml.Node) (start, end int, err error) {
	if n.Kind != yaml.ScalarNode {
		return 0, 0, fmt.Errorf("%s:%d:%d: not a scalar", s.path, n.Line, n.Column)
	}
	start, err = s.offset(n.Line, n.Column)
	if err != nil {
		return 0, 0, err
	}
	// Skip "&anchor " and "!tag " properties.
	for start < len(s.src) && (s.src[start] == '&' || s.src[start] == '!') {
		for start < len(s.src) && !isBlank(s.src[start]) {
			start++
		}
		for start < len(s.src) && isBlank(s.src[start]) {
			start++
		}
	}
	bad := func(why string) (int, int, error) {
		return 0, 0, fmt.Errorf("%s:%d:%d: cannot edit %s", s.path, n.Line, n.Column, why)
	}
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		for end = start + 1; end < len(s.src); end++ {
			switch s.src[end] {
			case '\\':
				end++
			case '"':
				return start, end + 1, nil
			case '\n':
				return bad("a multi-line string")
			}
		}
		return bad("an unterminated string")
	case n.Style&yaml.SingleQuotedStyle != 0:
		for end = start + 1; end < len(s.src); end++ {
			switch {
			case s.src[end] == '\'' && end+1 < len(s.src) && s.src[end+1] == '\'':
				end++
			case s.src[end] == '\'':
				return start, end + 1, nil
			case s.src[end] == '\n':
				return bad("a multi-line string")
			}
		}
		return bad("an unterminated string")
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return bad("a block scalar (| or >)")
	}
	end = start + len(n.Value)
	if end > len(s.src) || string(s.src[start:end]) != n.Value {
		return bad("a multi-line plain scalar")
	}
	return start, end, nil
}

// set replaces the value of scalar n with v, keeping its quote style; a
// plain scalar is double-quoted when v would not read back as the string v.
func (s *source) set(n *yaml.Node, v string) error {
	if n.Value == v {
		return nil
	}
	start, end, err := s.extent(n)
	if err != nil {
		return err
	}
	s.splices = append(s.splices, splice{start, end, quote(v, n.Style)})
	return nil
}

// insertAfter inserts "key: v" into the mapping m, after the entry whose
// value is the scalar after: on a line of its own in a block mapping, after
// a comma in a flow mapping.
func (s *source) insertAfter(m, key, after *yaml.Node, v string) error {
	_, end, err := s.extent(after)
	if err != nil {
		return err
	}
	entry := key.Value + ": " + quote(v, 0)
	if m.Style&yaml.FlowStyle != 0 {
		s.splices = append(s.splices, splice{end, end, ", " + entry})
		return nil
	}
	eol := bytes.IndexByte(s.src[end:], '\n')
	if eol < 0 {
		s.splices = append(s.splices, splice{len(s.src), len(s.src), "\n" + strings.Repeat(" ", key.Column-1) + entry})
		return nil
	}
	at := end + eol + 1
	s.splices = append(s.splices, splice{at, at, strings.Repeat(" ", key.Column-1) + entry + "\n"})
	return nil
}

// result applies the splices.
func (s *source) result() ([]byte, error) {
	sp := slices.Clone(s.splices)
	slices.SortStableFunc(sp, func(a, b splice) int { return a.start - b.start })
	var out bytes.Buffer
	last := 0
	for _, x := range sp {
		if x.start < last {
			return nil, fmt.Errorf("%s: two edits of the same value", s.path)
		}
		out.Write(s.src[last:x.start])
		out.WriteString(x.text)
		last = x.end
	}
	out.Write(s.src[last:])
	return out.Bytes(), nil
}

// quote writes v in style: single or double quotes as the original, and
// plain when v reads back as the same string.
func quote(v string, style yaml.Style) string {
	switch {
	case style&yaml.SingleQuotedStyle != 0:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case style&yaml.DoubleQuotedStyle != 0 || !plainSafe(v):
		r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
		return `"` + r.Replace(v) + `"`
	}
	return v
}

// plainSafe reports whether v, written plain, reads back as the string v
// both in block and in flow context.
func plainSafe(v string) bool {
	if v == "" || strings.ContainsAny(v, ",[]{}#\n") {
		return false
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte("k: "+v), &n); err != nil || len(n.Content) == 0 || len(n.Content[0].Content) < 2 {
		return false
	}
	val := n.Content[0].Content[1]
	return val.Kind == yaml.ScalarNode && val.ShortTag() == "!!str" && val.Value == v
}

// isBlank reports whether b is a space or a tab.
func isBlank(b byte) bool { return b == ' ' || b == '\t' }
