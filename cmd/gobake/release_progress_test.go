package main

import (
	"bytes"
	"io"
	"log"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/gobake/gobake/internal/testutil"
)

// releaseRepo is twoImages committed to a new git repository (a release
// is made from a commit), without a remote: the release tags locally.
func releaseRepo(t *testing.T, name string) string {
	t.Helper()
	cfg := twoImages(t, "package lib\n\nconst Name = \""+name+"\"\n")
	testutil.GitInit(t, filepath.Dir(cfg))
	return cfg
}

// TestReleaseProgress shows gobake release's progress as gobake build's:
// under a pseudo-terminal, bars with the release's steps on a status line
// under them, then the table of what was pushed, then the release's
// summary; in a dry run (forced bars, in-process) the
// images built but not pushed are not shown failed; --quiet leaves only
// the summary and --progress=plain the step lines.
func TestReleaseProgress(t *testing.T) {
	prefix := testutil.InMemoryRegistry(t, registry.Logger(log.New(io.Discard, "", 0))) + "/acme"

	t.Run("terminal", func(t *testing.T) {
		cfg := releaseRepo(t, "tty")
		term, stdout, code := runInTerminal(t, "--config", cfg, "release", "--registry", prefix+"/tty")
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, term)
		}
		if !escape.MatchString(term) {
			t.Errorf("no escape sequence on the terminal, so no bars:\n%q", term)
		}
		if strings.Contains(term, "building hello for") {
			t.Errorf("the builder's plain lines among the bars:\n%s", term)
		}
		table := term[max(strings.LastIndex(term, "IMAGE"), 0):]
		// The release's own steps show on the status line under the bars.
		if bars := strings.TrimSuffix(term, table); !strings.Contains(bars, "(first release)") {
			t.Errorf("no release step shown with the bars:\n%s", bars)
		}
		for _, image := range []string{"hello", "world"} {
			ref := regexp.QuoteMeta(prefix+"/tty/"+image+"@sha256:") + `[0-9a-f]{64}`
			if !regexp.MustCompile(`(?m)^` + image + ` +linux/amd64 +` + ref + ` +[0-9.]+m?s\r?$`).MatchString(table) {
				t.Errorf("the final table has no row for %s:\n%s", image, table)
			}
			if !regexp.MustCompile(`(?m)^` + ref + `$`).MatchString(stdout) {
				t.Errorf("stdout does not name %s:\n%s", image, stdout)
			}
		}
		if !strings.Contains(table, "released 2 image(s) of ") || !strings.Contains(table, "git tags: hello/v0.1.0 world/v0.1.0") {
			t.Errorf("no release summary after the table:\n%s", table)
		}
	})

	for _, tc := range []struct {
		name      string
		args      []string
		want      []*regexp.Regexp // in stderr
		wantTable bool
	}{
		{
			name: "dry run bars", args: []string{"--dry-run", "--progress=tty"}, wantTable: true,
			want: []*regexp.Regexp{
				regexp.MustCompile(`(?m)^hello +linux/amd64 +\S+/hello@sha256:[0-9a-f]{64} \(not pushed\) `),
				regexp.MustCompile(`(?m)^world +linux/amd64 +\S+/world@sha256:[0-9a-f]{64} \(not pushed\) `),
				regexp.MustCompile(`(?m)^release \(dry run\) of [0-9a-f]+: nothing pushed$`),
			},
		},
		{
			name: "quiet", args: []string{"--progress=tty", "--quiet"},
			want: []*regexp.Regexp{regexp.MustCompile(`\Areleased 2 image\(s\) of `)},
		},
		{
			name: "plain", args: []string{"--progress=plain"},
			want: []*regexp.Regexp{regexp.MustCompile(`(?m)^building hello for linux/amd64`), regexp.MustCompile(`(?m)^pushed \S+/hello@sha256:`)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := releaseRepo(t, tc.name)
			var stdout, stderr bytes.Buffer
			args := append([]string{"--config", cfg, "release", "--registry", prefix + "/" + strings.ReplaceAll(tc.name, " ", "")}, tc.args...)
			if code := run(t.Context(), args, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			for _, re := range tc.want {
				if !re.MatchString(stderr.String()) {
					t.Errorf("stderr does not match %s:\n%s", re, stderr.String())
				}
			}
			if got := strings.Contains(stderr.String(), "IMAGE  "); got != tc.wantTable {
				t.Errorf("table shown = %v, want %v:\n%s", got, tc.wantTable, stderr.String())
			}
			if strings.Contains(stderr.String(), "failed") {
				t.Errorf("an image shown failed:\n%s", stderr.String())
			}
		})
	}
}

// TestReleaseWarm: release --warm --shards 2 says what it compiled (the
// packages both images import; they land in different shards) and nothing
// of a release: no summary ("nothing to release" would be wrong), no
// reference on stdout.
func TestReleaseWarm(t *testing.T) {
	prefix := testutil.InMemoryRegistry(t, registry.Logger(log.New(io.Discard, "", 0))) + "/acme"
	cfg := releaseRepo(t, "warm")
	var stdout, stderr bytes.Buffer
	args := []string{"--config", cfg, "release", "--registry", prefix, "--warm", "--shards", "2", "--progress=plain"}
	if code := run(t.Context(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !regexp.MustCompile(`(?m)^warm: \d+ package\(s\) compiled for 2 shard\(s\)$`).MatchString(stderr.String()) {
		t.Errorf("stderr does not say what was compiled:\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), "nothing to release") || stdout.Len() > 0 {
		t.Errorf("a release summary or references after warming:\nstdout: %s\nstderr: %s", stdout.String(), stderr.String())
	}
}
