// Package ciout writes what CI systems read from a gobake run: GitHub
// Actions step outputs ($GITHUB_OUTPUT), step summaries
// ($GITHUB_STEP_SUMMARY) and job matrices. Whatever it writes loses the
// credentials of URLs in it (internal/redact). It is plumbing: it knows
// nothing of plans or releases, only of keys, values and Markdown.
package ciout

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/gobake/gobake/internal/redact"
)

// The environment variables GitHub Actions points at a step's files.
const (
	OutputEnv  = "GITHUB_OUTPUT"       // step outputs, name=value lines
	SummaryEnv = "GITHUB_STEP_SUMMARY" // the job summary, Markdown
)

// Output is one step output: name=value.
type Output struct {
	Name  string
	Value string
}

// Files are the paths of the step's output and summary files; "" when the
// variable is unset (not on GitHub Actions).
type Files struct {
	Output  string // $GITHUB_OUTPUT
	Summary string // $GITHUB_STEP_SUMMARY
}

// FromEnv returns the files getenv (os.Getenv in gobake) names.
func FromEnv(getenv func(string) string) Files {
	return Files{Output: getenv(OutputEnv), Summary: getenv(SummaryEnv)}
}

// Write appends outs to the output file and summary (Markdown) to the
// summary file, each when it is set; an empty summary appends nothing.
func (f Files) Write(outs []Output, summary string) error {
	if f.Output != "" && len(outs) > 0 {
		if err := AppendOutputs(f.Output, outs...); err != nil {
			return err
		}
	}
	if f.Summary != "" && summary != "" {
		if err := AppendSummary(f.Summary, summary); err != nil {
			return err
		}
	}
	return nil
}

// FormatOutputs returns outs as the lines of a GitHub Actions output
// file: name=value, or for a value of several lines the delimited form
// name<<DELIM … DELIM with a random delimiter the value does not hold.
func FormatOutputs(outs ...Output) (string, error) {
	var b strings.Builder
	for _, o := range outs {
		if o.Name == "" || strings.ContainsAny(o.Name, "=\r\n<") {
			return "", fmt.Errorf("step output name %q is not valid", o.Name)
		}
		v := redact.String(o.Value)
		if !strings.ContainsAny(v, "\r\n") {
			fmt.Fprintf(&b, "%s=%s\n", o.Name, v)
			continue
		}
		delim, err := delimiter(v)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", o.Name, delim, strings.TrimSuffix(v, "\n"), delim)
	}
	return b.String(), nil
}

// delimiter returns a heredoc delimiter that is no line of v.
func delimiter(v string) (string, error) {
	for {
		buf := make([]byte, 8)
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("step output delimiter: %w", err)
		}
		d := "gobake_" + hex.EncodeToString(buf)
		if !strings.Contains(v, d) {
			return d, nil
		}
	}
}

// AppendOutputs appends outs to the GitHub Actions output file path.
func AppendOutputs(path string, outs ...Output) error {
	s, err := FormatOutputs(outs...)
	if err != nil {
		return err
	}
	return appendFile(path, s)
}

// AppendSummary appends the Markdown md, redacted, to the step summary
// file path, ending it with a newline.
func AppendSummary(path, md string) error {
	md = redact.String(md)
	if !strings.HasSuffix(md, "\n") {
		md += "\n"
	}
	return appendFile(path, md)
}

// Cell escapes s for one cell of a Markdown table: pipes are escaped and
// line breaks become spaces.
func Cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\r\n", " ")
	return strings.ReplaceAll(s, "\n", " ")
}

// appendFile appends s to the file path, creating it.
func appendFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("append to %s: %w", path, err)
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return fmt.Errorf("append to %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("append to %s: %w", path, err)
	}
	return nil
}
