package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/testutil"
)

// reliabilityDoc is the table TestReliability produces, relative to the
// repository root.
const reliabilityDoc = "docs/reliability.md"

// writeReliabilityEnv set to 1 makes TestReliability write reliabilityDoc
// instead of comparing it with what the scenarios produced.
const writeReliabilityEnv = "GOBAKE_WRITE_RELIABILITY"

// chaosSeedEnv fixes the seed of the kill -9 scenario, to replay a failure.
const chaosSeedEnv = "GOBAKE_CHAOS_SEED"

// reliabilityKnobs are the values of writeReliabilityEnv and chaosSeedEnv,
// read when the package initialises: TestMain then unsets every GOBAKE_
// variable (testutil.IsolateHome), which would make both knobs dead.
var reliabilityKnobs = map[string]string{
	writeReliabilityEnv: os.Getenv(writeReliabilityEnv),
	chaosSeedEnv:        os.Getenv(chaosSeedEnv),
}

// reliabilityRow is one scenario of the table: classes of outcomes, never
// timings, so that random seeds do not change the document.
type reliabilityRow struct {
	order                                 int
	Scenario, Fault, First, Rerun, Result string
	runs                                  int           // gobake runs of the scenario
	cpu                                   time.Duration // their CPU, children included (logged, not in the table)
}

// reliabilityTable collects the rows of scenarios running in parallel.
type reliabilityTable struct {
	mu   sync.Mutex
	rows []reliabilityRow
}

func (tab *reliabilityTable) add(r reliabilityRow) {
	tab.mu.Lock()
	defer tab.mu.Unlock()
	tab.rows = append(tab.rows, r)
}

// markdown renders the table, in scenario order.
func (tab *reliabilityTable) markdown() string {
	rows := slices.Clone(tab.rows)
	slices.SortFunc(rows, func(a, b reliabilityRow) int { return a.order - b.order })
	var b strings.Builder
	b.WriteString(`# Release reliability

This file is written by the end-to-end test TestReliability (e2e/reliability_test.go);
do not edit it by hand. The test compares it with what its scenarios produced and fails when
they differ; regenerate it with:

    GOBAKE_WRITE_RELIABILITY=1 go test ./e2e -run TestReliability

Every scenario releases a tiny monorepo (three images on scratch, one platform) through a
fault proxy in front of a real docker-registry, with a bare source remote and a bare GitOps
remote. After the first run the fault is healed and a plain ` + "`gobake release`" + ` is run again; then the
invariant checker (e2e/invariants_test.go) holds the contract of [release.md](release.md)
against the registry (read with plain distribution API requests, and after the last run of each
scenario with skopeo too: its tag lists and newest versions must agree), both remotes (read with
git) and every report gobake
wrote (standard error, standard output, ` + "`--output`" + `, ` + "`$GITHUB_OUTPUT`" + `, ` + "`$GITHUB_STEP_SUMMARY`" + `):
a version tag or git tag never moves, every git tag has its registry tag and the reverse, each image
says which version and commit it is, no version is used twice, the GitOps repository deploys only
released digests and the newest release of each image, and the reports say what happened.

| Scenario | Fault | First run | Re-run | Invariants |
| --- | --- | --- | --- | --- |
`)
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.Scenario, r.Fault, r.First, r.Rerun, r.Result)
	}
	return b.String()
}

// held is the Invariants cell.
func held(ok bool) string {
	if ok {
		return "held"
	}
	return "**broken**"
}

// TestReliability attacks the release contract: registry faults, kill -9,
// racing releases and shallow clones, each followed by a re-run and the
// invariant checker; it produces docs/reliability.md.
func TestReliability(t *testing.T) {
	// In parallel with the other e2e tests: a serial test would hold every
	// parallel one back until all its scenarios end.
	parallelAfterWarmup(t)
	tab := &reliabilityTable{}
	t.Run("scenarios", func(t *testing.T) {
		// The kill scenario, the longest (a release and its re-runs
		// after another, 15 kills), starts first; its row is the last.
		killOrder := len(faultScenarios) + len(raceScenarios) + len(shallowScenarios) + 1
		t.Run("kill", func(t *testing.T) {
			t.Parallel()
			runKillScenario(t, tab, killOrder)
		})
		order := 0
		for _, f := range faultScenarios {
			order++
			row := order // each scenario its own row
			t.Run("fault_"+f.name(), func(t *testing.T) {
				t.Parallel()
				runFaultScenario(t, tab, row, f)
			})
		}
		for _, rs := range raceScenarios {
			order++
			row := order // each scenario its own row
			t.Run("race_"+rs.name, func(t *testing.T) {
				t.Parallel()
				runRaceScenario(t, tab, row, rs)
			})
		}
		for _, s := range shallowScenarios {
			order++
			row := order // each scenario its own row
			t.Run("shallow_"+s.name, func(t *testing.T) {
				t.Parallel()
				runShallowScenario(t, tab, row, s)
			})
		}
	})

	var runs int
	var cpu time.Duration
	for _, r := range tab.rows {
		runs += r.runs
		cpu += r.cpu
		t.Logf("%s, %s: %d gobake runs, %.1f CPU-s", r.Scenario, r.Fault, r.runs, r.cpu.Seconds())
	}
	var self, children syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	cpuOf := func(u syscall.Rusage) float64 {
		return time.Duration(u.Utime.Nano() + u.Stime.Nano()).Seconds()
	}
	t.Logf("CPU: %d gobake runs %.1f s (their go and git children included); the test process %.1f s; all its ended children %.1f s (gobake runs, registries, skopeo, git)",
		runs, cpu.Seconds(), cpuOf(self), cpuOf(children))

	got := tab.markdown()
	path := filepath.Join(testutil.RepoRoot(t), filepath.FromSlash(reliabilityDoc))
	if reliabilityKnobs[writeReliabilityEnv] == "1" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v (write it with %s=1)", reliabilityDoc, err, writeReliabilityEnv)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s is not what the scenarios produced (-file +produced); run with %s=1 to rewrite it:\n%s", reliabilityDoc, writeReliabilityEnv, diff)
	}
}

// faultScenario is a registry fault during a release.
type faultScenario struct {
	kind faultKind
	mode faultMode
	n    int    // requests failed; < 0 until healed
	skip int    // matching requests let through first
	then string // "commit": a new commit lands before the re-run
}

func (f faultScenario) name() string {
	return strings.NewReplacer(" ", "_", ":", "", ",", "", ";", "").Replace(f.describe())
}

// describe is the Fault cell.
func (f faultScenario) describe() string {
	var b strings.Builder
	b.WriteString(string(f.kind) + ": ")
	switch f.mode {
	case mode503:
		b.WriteString("503")
	case mode507:
		b.WriteString("507 (registry full)")
	case modeReset:
		b.WriteString("connection reset")
	case modeGone:
		b.WriteString("registry goes away")
	}
	switch {
	case f.mode == modeGone:
	case f.n < 0:
		b.WriteString(" until healed")
	case f.n == 1:
		b.WriteString(" once")
	default:
		fmt.Fprintf(&b, " %d times", f.n)
	}
	if f.skip > 0 {
		fmt.Fprintf(&b, ", after %d succeeded", f.skip)
	}
	if f.then == "commit" {
		b.WriteString("; a new commit lands before the re-run")
	}
	return b.String()
}

var faultScenarios = []faultScenario{
	{kind: kindBlobUpload, mode: mode507, n: -1},
	{kind: kindBlobUpload, mode: modeReset, n: -1},
	{kind: kindBlobUpload, mode: modeGone},
	{kind: kindBlobUpload, mode: mode503, n: 1},
	{kind: kindManifestDigest, mode: modeGone, skip: 1},
	{kind: kindTagPut, mode: mode507, n: -1, skip: 1},
	{kind: kindTagPut, mode: mode507, n: -1, skip: 1, then: "commit"},
	{kind: kindTagPut, mode: modeGone, skip: 2},
	{kind: kindReferrers, mode: mode507, n: -1},
}

// runFaultScenario: a first release (a, b, c at 0.1.0) under the fault,
// heal, a plain re-run, the invariant checker.
func runFaultScenario(t *testing.T, tab *reliabilityTable, order int, f faultScenario) {
	e := newTinyEnv(t)
	e.proxy.arm(f.kind, f.mode, f.n, f.skip)
	first := e.releaseSeq(t, e.src)
	hits := e.proxy.heal()
	ok := e.requireInvariants(t, false)
	firstCell := first.outcome()
	if hits == 0 {
		t.Errorf("the fault never hit: %s", f.describe())
		firstCell += " (fault not hit)"
	}
	if first.Out.ExitCode != 0 && !strings.Contains(first.Out.Stderr, "failure") {
		t.Errorf("failed release without a list of failures:\n%s", first.Out.Stderr)
	}
	if f.then == "commit" {
		e.change(t, e.src, "lib", "fix: lib after a failed release")
	}
	rerun := e.releaseSeq(t, e.src)
	if rerun.Out.ExitCode != 0 {
		t.Errorf("re-run after the fault healed: %s", rerun.Out)
	}
	ok = e.requireInvariantsEnd(t) && ok
	tab.add(e.row(reliabilityRow{order: order, Scenario: "registry fault", Fault: f.describe(), First: firstCell, Rerun: rerun.outcome(), Result: held(ok)}))
}

// raceScenario is two releases started together, for 5 rounds.
type raceScenario struct {
	name, describe string
	sameClone      bool
	changes        [2]string   // what each side commits first: an image or lib
	args           [2][]string // images each side releases (none: all)
}

var raceScenarios = []raceScenario{
	{name: "two_clones_overlapping", describe: "two clones, overlapping images (lib: a b; then b), both release all",
		changes: [2]string{"lib", "b"}},
	{name: "two_clones_disjoint", describe: "two clones, disjoint images (a; c), each releases its own",
		changes: [2]string{"a", "c"}, args: [2][]string{{"a"}, {"c"}}},
	{name: "one_clone", describe: "one clone, two runs at once (lib: a b)",
		sameClone: true, changes: [2]string{"lib", ""}},
}

const raceRounds = 5

// runRaceScenario: each round both sides commit (and push) their change,
// then both release at once; then each re-runs to completion and the
// checker runs.
func runRaceScenario(t *testing.T, tab *reliabilityTable, order int, rs raceScenario) {
	e := newTinyEnv(t)
	dirs := [2]string{e.src, e.src}
	if !rs.sameClone {
		dirs[1] = e.clone(t)
	}
	ok, quiet := true, false
	var reruns []string
	for round := range raceRounds {
		for i, c := range rs.changes {
			if c != "" {
				e.change(t, dirs[i], c, fmt.Sprintf("fix: %s, round %d side %d", c, round, i))
			}
		}
		e.observeNow(t) // a version tag the round moves is then caught as moved
		var runs [2]*tinyRun
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Go(func() { runs[i] = e.release(t, dirs[i], rs.args[i]...) })
		}
		wg.Wait()
		for _, r := range runs {
			if r.Out.ExitCode != 0 && !strings.Contains(r.Out.Stderr, "failure") {
				quiet = true
				t.Errorf("round %d: a losing release failed without saying why:\n%s", round, r.Out.Stderr)
			}
		}
		for i := range 2 {
			if runs[i].Out.ExitCode == 0 {
				continue // released, or found nothing left: nothing to complete
			}
			r := e.releaseSeq(t, dirs[i], rs.args[i]...)
			reruns = append(reruns, r.outcome())
			if r.Out.ExitCode != 0 {
				t.Errorf("round %d: plain re-run in side %d: %s", round, i, r.Out)
			}
		}
		ok = e.requireInvariants(t, true) && ok
	}
	ok = e.requireInvariantsEnd(t) && ok
	tab.add(e.row(reliabilityRow{order: order, Scenario: "racing releases", Fault: rs.describe + fmt.Sprintf(", %d rounds", raceRounds),
		First: raced(quiet), Rerun: completed(reruns), Result: held(ok)}))
}

// completed is the Re-run cell of scenarios with many re-runs, which
// release or find nothing left to release depending on where the first
// run stopped.
func completed(outcomes []string) string {
	if slices.Contains(outcomes, "failed") {
		return "**failed**"
	}
	return "completed"
}

// raced is the First run cell of a racing scenario: which run wins
// depends on timing, the contract only that each either released or
// stopped with an error (or found nothing left); quiet says one stopped
// without saying why.
func raced(quiet bool) string {
	if quiet {
		return "**failed without a message**"
	}
	return "each released, or stopped with an error"
}

// shallowScenario is a release from a shallow clone after a real release.
type shallowScenario struct {
	name, describe string
	clone          []string // git clone flags
	fetchTags      bool     // fetch the tags afterwards, shallow
}

var shallowScenarios = []shallowScenario{
	{name: "depth1_no_tags", describe: "`git clone --depth 1 --no-tags` after a release, one image changed", clone: []string{"--depth", "1", "--no-tags"}},
	{name: "tags_shallow_history", describe: "`git clone --depth 1` plus the tags fetched with `--depth 1`, one image changed",
		clone: []string{"--depth", "1", "--no-tags"}, fetchTags: true},
}

// runShallowScenario: release a, b, c at 0.1.0 from a full clone, commit a
// change to c, then release from a shallow clone: the existing release must
// be recognised (no first release) and nothing overwritten. Then a re-run
// from a full clone completes.
func runShallowScenario(t *testing.T, tab *reliabilityTable, order int, s shallowScenario) {
	e := newTinyEnv(t)
	if r := e.releaseSeq(t, e.src); r.Out.ExitCode != 0 {
		t.Fatalf("first release: %s", r.Out)
	}
	e.change(t, e.src, "c", "fix: c")
	dir := e.clone(t, s.clone...)
	if s.fetchTags {
		testutil.Git(t, dir, "fetch", "-q", "--depth", "1", "origin", "refs/tags/*:refs/tags/*")
	}
	first := e.releaseSeq(t, dir)
	if strings.Contains(first.Out.Stderr, "first release") {
		t.Errorf("a shallow clone took an image with releases for a first release:\n%s", first.Out.Stderr)
	}
	for _, img := range first.Report.Images {
		if img.Image != "c" {
			t.Errorf("shallow clone releases %s %s, which did not change", img.Image, img.Version)
		}
	}
	if first.Out.ExitCode != 0 && !strings.Contains(first.Out.Stderr, "fetch") {
		t.Errorf("a shallow release failed without saying what to fetch:\n%s", first.Out.Stderr)
	}
	ok := e.requireInvariants(t, false)
	rerun := e.releaseSeq(t, e.src)
	if rerun.Out.ExitCode != 0 {
		t.Errorf("re-run from a full clone: %s", rerun.Out)
	}
	ok = e.requireInvariantsEnd(t) && ok
	tab.add(e.row(reliabilityRow{order: order, Scenario: "shallow checkout", Fault: s.describe, First: first.outcome(), Rerun: rerun.outcome(), Result: held(ok)}))
}

// killsWanted is how many releases the kill scenario kills with SIGKILL.
const killsWanted = 15

// killsPerChange is how many runs of one commit's release the kill
// scenario kills (the release, then its re-runs, each at a random
// moment) before a plain re-run completes it.
const killsPerChange = 3

// runKillScenario: over and over, commit a change, start a release and
// kill -9 it at a random moment, re-run to completion, check.
func runKillScenario(t *testing.T, tab *reliabilityTable, order int) {
	seed := uint64(time.Now().UnixNano())
	if s := reliabilityKnobs[chaosSeedEnv]; s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", chaosSeedEnv, s, err)
		}
	}
	t.Logf("kill -9 moments from seed %d (replay with %s=%d)", seed, chaosSeedEnv, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	e := newTinyEnv(t)
	start := time.Now()
	if r := e.releaseSeq(t, e.src); r.Out.ExitCode != 0 { // later kills land in a real release
		t.Fatalf("first release: %s", r.Out)
	}
	span := time.Since(start) // how long a release takes on this machine now
	changes := []string{"a", "lib", "c", "b"}
	ok := true
	var reruns []string
	kills := 0
	for i := 0; kills < killsWanted && i < killsWanted; i++ {
		e.change(t, e.src, changes[i%len(changes)], fmt.Sprintf("fix: change %d", i))
		// The release, then its next re-runs, each killed at a random
		// moment and followed by the checker (partial states allowed).
		frac := 0.0
		for k := range killsPerChange {
			frac = rng.Float64() // where in the release the kill lands, as a fraction of its length
			began := time.Now()
			r := e.releaseKilled(t, e.src, time.Duration(frac*float64(span)))
			switch {
			case r.Killed:
				kills++
			case r.Report.Released: // ended before its kill: span was too long (the load changed)
				span = (span + time.Since(began)) / 2
			}
			t.Logf("cycle %d.%d: kill at %.0f%% of %s: %s", i, k, 100*frac, span.Round(time.Millisecond), r.outcome())
			ok = e.requireInvariants(t, false) && ok
			if kills == killsWanted {
				break
			}
		}
		start := time.Now()
		rerun := e.releaseSeq(t, e.src)
		if rerun.Report.Released {
			span = (span + time.Since(start)) / 2
		}
		reruns = append(reruns, rerun.outcome())
		if rerun.Out.ExitCode != 0 {
			t.Errorf("cycle %d (killed at %.0f%%): re-run: %s", i, 100*frac, rerun.Out)
		}
		ok = e.requireInvariants(t, true) && ok
	}
	ok = e.requireInvariantsEnd(t) && ok
	if kills < killsWanted {
		t.Errorf("only %d of the releases were killed, want %d", kills, killsWanted)
	}
	tab.add(e.row(reliabilityRow{order: order, Scenario: "kill -9", Fault: fmt.Sprintf("SIGKILL at a random moment of the release, then of each of its next %d re-runs, %d times in all (seeded)", killsPerChange-1, killsWanted),
		First: "killed", Rerun: completed(reruns), Result: held(ok)}))
}
