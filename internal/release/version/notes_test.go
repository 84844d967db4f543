package version

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNotesOf: the causes Next keeps (commits touching the inputs, not
// gobake's release commits) are grouped by what their headers say.
func TestNotesOf(t *testing.T) {
	c := func(hash, msg string, files ...string) Commit {
		subject, body, _ := strings.Cut(msg, "\n\n")
		return Commit{Hash: hash + "000000000", Subject: subject, Body: body, Files: files}
	}
	commits := []Commit{
		c("aaaaaaa", "feat(api)!: drop v1", "api/main.go"),
		c("bbbbbbb", "fix: nil token", "api/auth.go"),
		c("ccccccc", "feat: web only", "web/main.go"),
		c("ddddddd", `Revert "feat: tokens"`, "api/auth.go"),
		c("eeeeeee", "release: api 1.0.0\n\nGobake-Release: true", "api/main.go"),
		c("fffffff", "refactor: split\n\nBREAKING CHANGE: new flags", "api/main.go"),
		c("1111111", "tidy things", "api/go.mod"),
		c("2222222", "Merge branch 'x'"),
	}
	api := func(f string) bool { return strings.HasPrefix(f, "api/") }
	got := NotesOf(CausesOf(commits, api))
	want := Notes{
		Breaking: []Note{{"aaaaaaa", "feat", "api", "drop v1"}, {"fffffff", "refactor", "", "split"}},
		Features: []Note{},
		Fixes:    []Note{{"bbbbbbb", "fix", "", "nil token"}},
		Other:    []Note{{"ddddddd", "revert", "", "feat: tokens"}, {"1111111", "", "", "tidy things"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
	if md := NotesOf(nil).Markdown("###"); md != "" || !NotesOf(nil).Empty() {
		t.Errorf("no causes: Markdown %q, want empty notes", md)
	}
	wantText := "Breaking changes:\n- api: drop v1 (aaaaaaa)\n- split (fffffff)\nFixes:\n- nil token (bbbbbbb)\nOther:\n- feat: tokens (ddddddd)\n- tidy things (1111111)\n"
	if diff := cmp.Diff(wantText, got.Text("")); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
	many := Notes{Fixes: make([]Note, MaxShown+3)}
	if md := many.Markdown("###"); strings.Count(md, "\n- ") != MaxShown+1 || !strings.HasSuffix(md, "- … and 3 more\n") {
		t.Errorf("%d fixes render as %d lines, ending %q; want %d and a count of the rest", MaxShown+3, strings.Count(md, "\n- "), md[len(md)-30:], MaxShown)
	}
}
