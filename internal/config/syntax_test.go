package config

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// bigConfig returns a gobake.yaml of about n lines (images of 5 lines
// each) with broken spliced in before line at.
func bigConfig(n, at int, broken string) []byte {
	var b strings.Builder
	b.WriteString("version: 1\nx-list: [a,\n  b,\n  c]\nimages:\n")
	for i := 0; strings.Count(b.String(), "\n") < n; i++ {
		fmt.Fprintf(&b, "  svc%d:\n    main: ./cmd/svc%d\n    labels:\n      a: \"x\"\n      b: 'y'\n", i, i)
	}
	lines := strings.SplitAfter(b.String(), "\n")
	lines = append(lines[:at-1], append([]string{broken}, lines[at-1:]...)...)
	return []byte(strings.Join(lines, ""))
}

// naiveSyntaxLine is the search syntaxLine replaced: every prefix from the
// longest down. It is the reference for the line reported.
func naiveSyntaxLine(src []byte) int {
	lines := bytes.SplitAfter(src, []byte("\n"))
	for n := len(lines) - 1; n > 0; n-- {
		var doc yaml.Node
		if yaml.Unmarshal(bytes.Join(lines[:n], nil), &doc) == nil {
			return n + 1
		}
	}
	return 1
}

// brokenLines are syntax errors of several kinds, each one line.
var brokenLines = []struct{ name, line string }{
	{"bad indent", "   dir: .\n"},
	{"unclosed quote", "    main: \"./cmd/oops\n"},
	{"tab", "\tmain: ./x\n"},
	{"stray colon", "    : : :\n"},
	{"unclosed flow", "    platforms: [linux/amd64\n"},
}

// TestSyntaxLine checks the line of syntax errors of several kinds at
// several places against the line-by-line search.
func TestSyntaxLine(t *testing.T) {
	for _, br := range brokenLines {
		for _, at := range []int{6, 7, 50, 51, 199, 300} {
			t.Run(fmt.Sprintf("%s at %d", br.name, at), func(t *testing.T) {
				src := bigConfig(300, at, br.line)
				var doc yaml.Node
				if yaml.Unmarshal(src, &doc) == nil {
					t.Skip("this splice happens to be valid YAML") // not a syntax error: nothing to position
				}
				want := naiveSyntaxLine(src)
				got := syntaxLine(src, bytes.SplitAfter(src, []byte("\n")), parseYAML)
				if got != want {
					t.Errorf("syntaxLine = %d, want %d (the line-by-line search)", got, want)
				}
			})
		}
	}
}

// parsedBytes returns how many bytes syntaxLine hands to the parser to
// position an error at line 6 of a config of n lines: the work it does.
func parsedBytes(t testing.TB, n int, broken string) int {
	src := bigConfig(n, 6, broken)
	total := 0
	count := func(b []byte) (int, error) {
		total += len(b)
		return parseYAML(b)
	}
	// The top of the file is the same whatever its length: the line-by-line
	// search on a short version says where the error is.
	want := naiveSyntaxLine(bigConfig(300, 6, broken))
	if got := syntaxLine(src, bytes.SplitAfter(src, []byte("\n")), count); got != want {
		t.Fatalf("%d lines: syntaxLine = %d, want %d", n, got, want)
	}
	return total
}

// TestSyntaxLineScales checks that positioning an error near the top of a
// config grows about linearly with its size (the line-by-line search was
// quadratic: 30,000 lines took over 6 minutes). It counts the bytes
// parsed, not the time: 3 times the lines may cost at most 4 times the
// work (quadratic would be 9).
func TestSyntaxLineScales(t *testing.T) {
	for _, br := range brokenLines {
		t.Run(br.name, func(t *testing.T) {
			small, large := parsedBytes(t, 10_000, br.line), parsedBytes(t, 30_000, br.line)
			if ratio := float64(large) / float64(small); ratio > 4 {
				t.Errorf("30,000 lines parse %d bytes, 10,000 lines %d: %.1f times the work for 3 times the lines", large, small, ratio)
			}
		})
	}
}

// BenchmarkSyntaxPosition positions an unclosed quote near the top of a
// 30,000-line config.
func BenchmarkSyntaxPosition(b *testing.B) {
	src := bigConfig(30_000, 6, brokenLines[1].line)
	var doc yaml.Node
	err := yaml.Unmarshal(src, &doc)
	if err == nil {
		b.Fatal("want a syntax error")
	}
	for b.Loop() {
		syntaxPosition(src, err)
	}
}
