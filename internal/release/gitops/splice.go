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

// field is a value an edit sets: the scalar, the mapping key it is the
// value of (nil for a sequence item), and its name for errors (the key, or
// a Helm path).
type field struct {
	key, val *yaml.Node
	name     string
}

// pos returns where f is, for errors: an empty value has no position of
// its own (yaml.v3 gives the next token's), so its key's is used.
func (f field) pos() (line, col int) {
	if f.key != nil && isEmpty(f.val) {
		return f.key.Line, f.key.Column
	}
	return f.val.Line, f.val.Column
}

// errorf returns an error at f: "path:line:col: name: message".
func (s *source) errorf(f field, format string, args ...any) error {
	line, col := f.pos()
	return fmt.Errorf("%s:%d:%d: %s: %s", s.path, line, col, f.name, fmt.Sprintf(format, args...))
}

// isEmpty reports whether the scalar n is written as nothing at all (no
// quotes): "tag:" or "tag: !".
func isEmpty(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "" && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0
}

// value returns what the scalar n says as a string: "" for a null.
func value(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || (n.ShortTag() == "!!null" && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0) {
		return ""
	}
	return n.Value
}

// editable checks that f can be set to a string: a scalar with no tag, or
// the tag !!str, written on one line.
func (s *source) editable(f field) error {
	n := f.val
	switch {
	case n.Kind == yaml.AliasNode:
		return s.errorf(f, "is the alias *%s; edit the anchored value instead", n.Value)
	case n.Kind == yaml.MappingNode:
		return s.errorf(f, "is a mapping, not a string")
	case n.Kind == yaml.SequenceNode:
		return s.errorf(f, "is a sequence, not a string")
	case n.Kind != yaml.ScalarNode:
		return s.errorf(f, "is not a string")
	case n.Style&yaml.TaggedStyle != 0 && n.ShortTag() != "!!str":
		return s.errorf(f, "has the tag %s, which a reference would contradict; remove the tag", n.Tag)
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return s.errorf(f, "cannot edit a block scalar (| or >)")
	}
	return nil
}

// span returns the bytes that hold the value of f and what to write
// before the new value there: the scalar itself, quotes included; for an
// empty value, the point after its key's ":" (and after its anchor or tag,
// if any), with a space to write first.
func (s *source) span(f field) (start, end int, prefix string, err error) {
	if isEmpty(f.val) {
		return s.emptySpan(f)
	}
	n := f.val
	start, err = s.offset(n.Line, n.Column)
	if err != nil {
		return 0, 0, "", s.errorf(f, "position outside the file")
	}
	// yaml.v3 places a scalar with properties at its first "&anchor" or
	// "!tag"; the value follows after blanks, perhaps on a later line.
	for start < len(s.src) && (s.src[start] == '&' || s.src[start] == '!') {
		for start < len(s.src) && !isSpace(s.src[start]) {
			start++
		}
		for start < len(s.src) && isSpace(s.src[start]) {
			start++
		}
	}
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		if start >= len(s.src) || s.src[start] != '"' {
			return 0, 0, "", s.errorf(f, "cannot find the quoted value")
		}
		for end = start + 1; end < len(s.src); end++ {
			switch s.src[end] {
			case '\\':
				end++
			case '"':
				return start, end + 1, "", nil
			case '\n':
				return 0, 0, "", s.errorf(f, "cannot edit a multi-line string")
			}
		}
		return 0, 0, "", s.errorf(f, "cannot edit an unterminated string")
	case n.Style&yaml.SingleQuotedStyle != 0:
		if start >= len(s.src) || s.src[start] != '\'' {
			return 0, 0, "", s.errorf(f, "cannot find the quoted value")
		}
		for end = start + 1; end < len(s.src); end++ {
			switch {
			case s.src[end] == '\'' && end+1 < len(s.src) && s.src[end+1] == '\'':
				end++
			case s.src[end] == '\'':
				return start, end + 1, "", nil
			case s.src[end] == '\n':
				return 0, 0, "", s.errorf(f, "cannot edit a multi-line string")
			}
		}
		return 0, 0, "", s.errorf(f, "cannot edit an unterminated string")
	}
	end = start + len(n.Value)
	if end > len(s.src) || string(s.src[start:end]) != n.Value {
		return 0, 0, "", s.errorf(f, "cannot edit a multi-line plain scalar")
	}
	return start, end, "", nil
}

// emptySpan finds where the empty value of f goes: after "key:" and the
// value's anchor and tag on the same line ("tag:", "tag: !", "{newTag: }"),
// or, for a flow mapping key with no ":" ("{newTag}"), right after the key.
func (s *source) emptySpan(f field) (start, end int, prefix string, err error) {
	if f.key == nil {
		return 0, 0, "", s.errorf(f, "cannot edit an empty value outside a mapping; write a placeholder value")
	}
	kf := field{val: f.key, name: f.name}
	if isEmpty(f.key) || f.key.Kind != yaml.ScalarNode {
		return 0, 0, "", s.errorf(f, "cannot edit the value of an empty or complex key")
	}
	_, keyEnd, _, err := s.span(kf)
	if err != nil {
		return 0, 0, "", err
	}
	at := keyEnd
	for at < len(s.src) && isBlank(s.src[at]) {
		at++
	}
	if at >= len(s.src) || s.src[at] != ':' {
		if at < len(s.src) && (s.src[at] == ',' || s.src[at] == '}') {
			return keyEnd, keyEnd, ": ", nil // {newTag}
		}
		return 0, 0, "", s.errorf(f, "cannot find the \":\" after the key")
	}
	at++
	// The anchor and tag of the value, if any, stay before it.
	props := 0
	for {
		p := at
		for p < len(s.src) && isBlank(s.src[p]) {
			p++
		}
		if p >= len(s.src) || (s.src[p] != '&' && s.src[p] != '!') {
			break
		}
		for p < len(s.src) && !isSpace(s.src[p]) && !isFlowEnd(s.src[p]) {
			p++
		}
		at = p
		props++
	}
	if (f.val.Anchor != "" || f.val.Style&yaml.TaggedStyle != 0) && props == 0 {
		return 0, 0, "", s.errorf(f, "cannot edit an empty value whose anchor or tag is on another line")
	}
	if at < len(s.src) && !isSpace(s.src[at]) && !isFlowEnd(s.src[at]) {
		return 0, 0, "", s.errorf(f, "cannot find where the empty value goes")
	}
	return at, at, " ", nil
}

// set replaces the value of f with v, keeping its quote style, and says
// whether it changes anything; a plain scalar is double-quoted when v
// would not read back as the string v. Setting a null to "" changes
// nothing.
func (s *source) set(f field, v string) (bool, error) {
	if err := s.editable(f); err != nil {
		return false, err
	}
	if f.val.Value == v || v == "" && value(f.val) == "" {
		return false, nil
	}
	start, end, prefix, err := s.span(f)
	if err != nil {
		return false, err
	}
	s.splices = append(s.splices, splice{start, end, prefix + quote(v, f.val.Style)})
	return true, nil
}

// insertAfter inserts "key: v" into the mapping m, after the entry whose
// value is the scalar after: on a line of its own in a block mapping, after
// a comma in a flow mapping.
func (s *source) insertAfter(m, key *yaml.Node, after field, v string) error {
	if err := s.editable(after); err != nil {
		return err
	}
	if isEmpty(after.val) {
		return s.errorf(after, "cannot add %s after an empty value", key.Value)
	}
	_, end, _, err := s.span(after)
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

// isSpace reports whether b is a blank or a line break.
func isSpace(b byte) bool { return isBlank(b) || b == '\n' || b == '\r' }

// isFlowEnd reports whether b ends a node in a flow collection.
func isFlowEnd(b byte) bool { return b == ',' || b == '}' || b == ']' }
