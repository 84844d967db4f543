package version

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseConventional(t *testing.T) {
	for _, tc := range []struct {
		name string
		msg  string
		want Conventional
		bump Bump
	}{
		{"fix", "fix: handle nil token", Conventional{Type: "fix", Description: "handle nil token"}, BumpPatch},
		{"feat", "feat: add refresh", Conventional{Type: "feat", Description: "add refresh"}, BumpMinor},
		{"scope", "feat(api): add refresh", Conventional{Type: "feat", Scope: "api", Description: "add refresh"}, BumpMinor},
		{"empty scope", "fix(): x", Conventional{Type: "fix", Description: "x"}, BumpPatch},
		{"bang", "feat!: drop v1", Conventional{Type: "feat", Breaking: true, Description: "drop v1"}, BumpMajor},
		{"scope and bang", "refactor(auth)!: new claims", Conventional{Type: "refactor", Scope: "auth", Breaking: true, Description: "new claims"}, BumpMajor},
		{"upper-case type", "FEAT: shout", Conventional{Type: "feat", Description: "shout"}, BumpMinor},
		{"mixed-case type", "Fix(API): x", Conventional{Type: "fix", Scope: "API", Description: "x"}, BumpPatch},
		{"no space after colon", "feat:tight", Conventional{Type: "feat", Description: "tight"}, BumpMinor},
		{"form feed after colon", "feat: \fx", Conventional{Type: "feat", Description: "x"}, BumpMinor},
		{"hyphenated type", "build-deps: bump x", Conventional{Type: "build-deps", Description: "bump x"}, BumpPatch},
		{"footer", "fix: x\n\nsome body\n\nBREAKING CHANGE: tokens expire", Conventional{Type: "fix", Breaking: true, Description: "x"}, BumpMajor},
		{"hyphen footer", "feat: x\n\nBREAKING-CHANGE: y", Conventional{Type: "feat", Breaking: true, Description: "x"}, BumpMajor},
		{"footer with hash", "feat: x\n\nBREAKING CHANGE #12", Conventional{Type: "feat", Breaking: true, Description: "x"}, BumpMajor},
		{"footer CRLF", "feat: x\r\n\r\nBREAKING CHANGE: y\r\n", Conventional{Type: "feat", Breaking: true, Description: "x"}, BumpMajor},
		{"lower-case footer is not one", "feat: x\n\nbreaking change: y", Conventional{Type: "feat", Description: "x"}, BumpMinor},
		{"footer words mid-line", "feat: x\n\nno BREAKING CHANGE: here", Conventional{Type: "feat", Description: "x"}, BumpMinor},
		{"footer in non-conventional", "Update stuff\n\nBREAKING CHANGE: y", Conventional{Breaking: true, Description: "Update stuff"}, BumpMajor},
		{"header words in the body only", "tidy up\n\nfeat: not a header", Conventional{Description: "tidy up"}, BumpPatch},
		{"not conventional", "Update README", Conventional{Description: "Update README"}, BumpPatch},
		{"space before colon", "feat : x", Conventional{Description: "feat : x"}, BumpPatch},
		{"space before scope", "feat (api): x", Conventional{Description: "feat (api): x"}, BumpPatch},
		{"no description", "feat:", Conventional{Description: "feat:"}, BumpPatch},
		{"fixup", "fixup! feat: x", Conventional{Description: "fixup! feat: x"}, BumpPatch},
		{"merge branch", "Merge branch 'feature/x' into main", Conventional{Merge: true, Description: "Merge branch 'feature/x' into main"}, BumpPatch},
		{"merge pull request", "Merge pull request #12 from acme/feat-x\n\nfeat: x", Conventional{Merge: true, Description: "Merge pull request #12 from acme/feat-x"}, BumpPatch},
		{"squash merge keeps its type", "feat(web): dark mode (#12)", Conventional{Type: "feat", Scope: "web", Description: "dark mode (#12)"}, BumpMinor},
		{"git revert", "Revert \"feat!: drop v1\"\n\nThis reverts commit 0123456789abcdef.", Conventional{Type: "revert", Revert: true, Description: "feat!: drop v1"}, BumpPatch},
		{"revert type", "revert: feat(api): add refresh", Conventional{Type: "revert", Revert: true, Description: "feat(api): add refresh"}, BumpPatch},
		{"leading blank lines", "\n\n  fix: x  \n", Conventional{Type: "fix", Description: "x"}, BumpPatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseConventional(tc.msg)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseConventional(%q) (-want +got):\n%s", tc.msg, diff)
			}
			if b := got.Bump(); b != tc.bump {
				t.Errorf("Bump() = %s, want %s", b, tc.bump)
			}
		})
	}
}

func TestIsRelease(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Commit
		want bool
	}{
		{"trailer", Commit{Subject: "chore(release): api 1.4.2", Body: "Updates deploy/.\n\nGobake-Release: true"}, true},
		{"trailer among others", Commit{Subject: "x", Body: "Signed-off-by: a <a@b>\ngobake-release: web/v1.0.0"}, true},
		{"trailer not last", Commit{Subject: "x", Body: "Gobake-Release: api/v1\n\nmore text"}, false},
		{"subject only", Commit{Subject: "Gobake-Release: api/v1"}, false},
		{"plain", Commit{Subject: "feat: x", Body: "body"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsRelease(tc.c); got != tc.want {
				t.Errorf("IsRelease = %v, want %v", got, tc.want)
			}
		})
	}
}
