package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sync/errgroup"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/platform"
)

// mutation is one change to a copy of the sample monorepo.
type mutation struct {
	name  string
	apply func(t *testing.T, root string, cfg *config.Config, bases fakeBases)
	// want lists the "image platform" targets whose output changes; the
	// ground truth must agree, so that a broken mutation is noticed.
	want []string
	// conservative marks changes to inputs gobake keeps as written (go
	// line, templates): the plan may flag them though these bytes match.
	conservative bool
	reason       string // a reason the plan must give for the first wanted image
}

var allTargets = []string{"api linux/amd64", "ctl linux/amd64", "ctl linux/arm64", "web linux/amd64", "worker linux/amd64"}

func mutations() []mutation {
	return []mutation{
		{
			name: "shared package",
			apply: func(t *testing.T, root string, _ *config.Config, _ fakeBases) {
				edit(t, root, "internal/greet/greet.go", `"name: %s"`, `"name = %s"`)
			},
			want:   allTargets,
			reason: "internal/greet/greet.go changed",
		},
		{
			name: "test file",
			apply: func(t *testing.T, root string, _ *config.Config, _ fakeBases) {
				appendTo(t, root, "internal/greet/greet_test.go", "\nfunc TestMore(t *testing.T) {}\n")
			},
		},
		{
			name: "file for another GOOS",
			apply: func(t *testing.T, root string, _ *config.Config, _ fakeBases) {
				edit(t, root, "internal/greet/platform_windows.go", `"windows ("`, `"win ("`)
			},
		},
		{
			name: "embedded file",
			apply: func(t *testing.T, root string, _ *config.Config, _ fakeBases) {
				appendTo(t, root, "services/web/cmd/web/static/style.css", "\nbody { margin: 0 }\n")
			},
			want:   []string{"web linux/amd64"},
			reason: "services/web/cmd/web/static/style.css changed",
		},
		{
			name: "file added matching an embed pattern",
			apply: func(t *testing.T, root string, _ *config.Config, _ fakeBases) {
				write(t, root, "services/web/cmd/web/static/new.txt", "new\n")
			},
			want:   []string{"web linux/amd64"},
			reason: "services/web/cmd/web/static/new.txt added",
		},
		{
			name: "module bump",
			apply: func(t *testing.T, root string, _ *config.Config, _ fakeBases) {
				run(t, root, "go", "get", "github.com/google/uuid@v1.5.0")
			},
			want:   []string{"api linux/amd64", "ctl linux/amd64", "ctl linux/arm64"},
			reason: "github.com/google/uuid v1.6.0 → v1.5.0 (via internal/auth)",
		},
		{
			name: "local replace target",
			apply: func(t *testing.T, root string, _ *config.Config, _ fakeBases) {
				edit(t, root, "third_party/greeting/greeting.go", `"Hello"`, `"Hi"`)
			},
			want:   allTargets,
			reason: "third_party/greeting/greeting.go changed",
		},
		{
			name: "base digest",
			apply: func(_ *testing.T, _ string, _ *config.Config, b fakeBases) {
				b["linux/arm64"] = "sha256:" + strings.Repeat("2", 64)
			},
			want:   []string{"ctl linux/arm64"},
			reason: "base digest changed",
		},
		{
			name: "ldflags template",
			apply: func(_ *testing.T, _ string, cfg *config.Config, _ fakeBases) {
				cfg.Images[0].Ldflags = []string{"-s -w", "-X main.version=v{{.Version}}"}
			},
			want:   []string{"api linux/amd64"},
			reason: "ldflags changed",
		},
		{
			name: "go line",
			apply: func(t *testing.T, root string, _ *config.Config, _ fakeBases) {
				edit(t, root, "go.mod", "go 1.26.0", "go 1.26.1")
			},
			want:   allTargets,
			reason: "go 1.26.0 → 1.26.1",
		},
		{
			name: "readme",
			apply: func(t *testing.T, root string, _ *config.Config, _ fakeBases) {
				write(t, root, "README.md", "# mono\n")
				write(t, root, "internal/greet/README.md", "# greet\n")
			},
		},
		{
			name: "data dir",
			apply: func(t *testing.T, root string, _ *config.Config, _ fakeBases) {
				appendTo(t, root, "services/api/cmd/api/kodata/message.txt", "more\n")
			},
			want:   []string{"api linux/amd64"},
			reason: "data message.txt changed",
		},
		{
			name: "package moved between images",
			apply: func(t *testing.T, root string, _ *config.Config, _ fakeBases) {
				// ctl stops using internal/auth, worker starts.
				edit(t, root, "tools/ctl/cmd/ctl/main.go", `auth.ClientID(svc)`, `svc`)
				edit(t, root, "tools/ctl/cmd/ctl/main.go", `"example.com/mono/internal/auth"`, ``)
				edit(t, root, "services/worker/cmd/worker/main.go", `fmt.Printf("job %d: %s\n", i+1, job)`, `fmt.Printf("job %d: %s %s\n", i+1, job, auth.ClientID(job))`)
				edit(t, root, "services/worker/cmd/worker/main.go", `"fmt"`, `"fmt"; "example.com/mono/internal/auth"`)
			},
			want:   []string{"ctl linux/amd64", "ctl linux/arm64", "worker linux/amd64"},
			reason: "github.com/google/uuid v1.6.0 removed",
		},
		{
			name: "package directory moved",
			apply: func(t *testing.T, root string, _ *config.Config, _ fakeBases) {
				if err := os.Rename(filepath.Join(root, "internal/httpx"), filepath.Join(root, "internal/web")); err != nil {
					t.Fatal(err)
				}
				for _, f := range []string{"services/api/cmd/api/main.go", "services/web/cmd/web/main.go"} {
					edit(t, root, f, `"example.com/mono/internal/httpx"`, `httpx "example.com/mono/internal/web"`)
				}
			},
			want:   []string{"api linux/amd64", "web linux/amd64"},
			reason: "package example.com/mono/internal/web added to closure",
		},
		{
			name: "unused package added",
			apply: func(t *testing.T, root string, _ *config.Config, _ fakeBases) {
				write(t, root, "internal/unused/unused.go", "package unused\n\nfunc F() {}\n")
			},
		},
	}
}

// TestMutations applies each mutation to a copy of the sample and checks
// the plan against ground truth: binaries built reproducibly from both
// versions, plus data, config and base inputs.
func TestMutations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every image twice per mutation")
	}
	ctx := context.Background()
	base := copySample(t)
	baseCfg := sampleConfig(base)
	var linked linkedBinaries
	baseTruth := groundTruth(t, base, baseCfg, fakeBases{}, &linked)
	// The plan before any mutation, computed once: inputs do not depend on
	// where the tree is, so each mutation's copy starts from these records,
	// and from the digest cache they leave (which must see every change).
	digests := filepath.Join(t.TempDir(), "digests")
	before, err := Compute(ctx, baseCfg, Options{Targets: fakeBases{}.targets(t, baseCfg), DigestCache: digests})
	if err != nil {
		t.Fatal(err)
	}
	seeded, err := os.ReadFile(digests)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mutations() {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel() // each works on its own copy
			root := copySample(t)
			cfg := sampleConfig(root)
			bases := fakeBases{}
			m.apply(t, root, cfg, bases)
			cache := filepath.Join(t.TempDir(), "digests")
			if err := os.WriteFile(cache, seeded, 0o644); err != nil {
				t.Fatal(err)
			}
			after, err := Compute(ctx, cfg, Options{Targets: bases.targets(t, cfg), DigestCache: cache})
			if err != nil {
				t.Fatal(err)
			}
			checkDigests(t, after)
			truth := groundTruth(t, root, cfg, bases, &linked)
			var gotTruth, gotPlan []string
			for _, k := range sortedKeys(truth) {
				if truth[k] != baseTruth[k] {
					gotTruth = append(gotTruth, k)
				}
				img, plat, _ := strings.Cut(k, " ")
				if before.Records[img].Platform(plat).Digest != after.Records[img].Platform(plat).Digest {
					gotPlan = append(gotPlan, k)
				}
			}
			if diff := cmp.Diff(m.want, gotTruth); diff != "" {
				t.Fatalf("ground truth differs from the mutation's expectation (-want +got):\n%s", diff)
			}
			for _, k := range gotTruth {
				if !slices.Contains(gotPlan, k) {
					t.Errorf("miss: %s changed but the plan says unchanged", k)
				}
			}
			if !m.conservative {
				for _, k := range gotPlan {
					if !slices.Contains(gotTruth, k) {
						t.Errorf("false alarm: %s flagged but its output cannot have changed", k)
					}
				}
			}
			plans := Plan(after, before.Records)
			if m.reason != "" {
				img, _, _ := strings.Cut(m.want[0], " ")
				for _, p := range plans {
					if p.Image == img && !containsReason(p.Changes, m.reason) {
						t.Errorf("%s: reasons %q lack %q", img, reasons(p.Changes), m.reason)
					}
				}
			}
		})
	}
}

func containsReason(changes []Change, want string) bool {
	for _, c := range changes {
		if c.Reason == want {
			return true
		}
	}
	return false
}

func reasons(changes []Change) []string {
	var out []string
	for _, c := range changes {
		out = append(out, c.Reason)
	}
	return out
}

// linkedBinaries remembers the binaries groundTruth linked, by their link
// inputs as go's build IDs give them: the build ID of every package linked
// in (the ID of its compiled output, which changes with any of its files,
// flags or dependencies), the module each comes from, the main package's
// default GODEBUG, the go build flags and the platform. A binary of the
// same link inputs is the same binary (go builds reproducibly, as gobake's
// digests themselves assume), so a mutation links again only the binaries
// whose inputs it changed: most change one image or none, and each link
// of the sample's binaries costs a quarter of a CPU-second.
type linkedBinaries struct {
	mu    sync.Mutex
	byKey map[string]string // link inputs → hex SHA-256 of the binary
}

func (lb *linkedBinaries) get(key string) (string, bool) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	h, ok := lb.byKey[key]
	return h, ok
}

func (lb *linkedBinaries) put(key, hash string) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if lb.byKey == nil {
		lb.byKey = map[string]string{}
	}
	lb.byKey[key] = hash
}

// listFormat is the go list -deps -export template linkKeys reads: one
// line per package, roots marked R.
const listFormat = `{{if .DepOnly}}D{{else}}R{{end}}{{"\t"}}{{.ImportPath}}{{"\t"}}{{.Dir}}{{"\t"}}{{.BuildID}}{{"\t"}}` +
	`{{with .Module}}{{.Path}} {{.Version}}{{with .Replace}} => {{.Path}} {{.Version}}{{end}}{{end}}{{"\t"}}` +
	`{{.DefaultGODEBUG}}{{"\t"}}{{join .Deps " "}}`

// linkKeys returns, by main as written, the link inputs of each of mains
// built in dir with go build args (flags only) and env: go list -export
// compiles what go build would (into the build cache go build then uses)
// and gives every package's build ID.
func linkKeys(dir string, env, args []string, plat string, mains []string) (map[string]string, error) {
	list := append([]string{"list", "-export", "-deps", "-f", listFormat}, args...)
	cmd := exec.Command("go", append(list, mains...)...)
	cmd.Dir = dir
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -export %v for %s: %v\n%s", mains, plat, err, stderr.String())
	}
	type listed struct{ dir, id, deps string }
	pkgs := map[string]listed{}
	var roots []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 7 || f[3] == "" && f[1] != "unsafe" { // unsafe is not compiled
			return nil, fmt.Errorf("go list -export for %s: unexpected line %q", plat, line)
		}
		// The build ID, the module and the default GODEBUG of a package.
		pkgs[f[1]] = listed{dir: f[2], id: f[3] + " " + f[4] + " " + f[5], deps: f[6]}
		if f[0] == "R" {
			roots = append(roots, f[1])
		}
	}
	keys := map[string]string{}
	for _, m := range mains {
		var root string
		for _, r := range roots {
			if pkgs[r].dir == filepath.Join(dir, m) {
				root = r
			}
		}
		if root == "" {
			return nil, fmt.Errorf("go list -export for %s: no package for %s", plat, m)
		}
		h := sha256.New()
		fmt.Fprintf(h, "%s\x00%q\x00%s %s\n", plat, args, root, pkgs[root].id)
		for _, d := range strings.Fields(pkgs[root].deps) { // sorted by go list
			fmt.Fprintf(h, "%s %s\n", d, pkgs[d].id)
		}
		keys[m] = hex.EncodeToString(h.Sum(nil))
	}
	return keys, nil
}

// groundTruth builds every image of cfg for every platform with go build
// -trimpath and returns, by "image platform", a hash of the binary's bytes
// and of every other input of the image: data files, config, base digest.
// Images built alike (directory, platform, ldflags, flags) are built by one
// go build, as go links each main package on its own anyway; a binary
// whose link inputs are those of one in linked is not linked again.
func groundTruth(t *testing.T, root string, cfg *config.Config, bases fakeBases, linked *linkedBinaries) map[string]string {
	t.Helper()
	type target struct {
		img  config.Image
		plat string
	}
	type group struct {
		dir, plat string
		args      []string // go build flags before the packages
		targets   []target
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, img := range cfg.Images {
		for _, plat := range img.Platforms {
			ld := strings.ReplaceAll(strings.Join(img.Ldflags, " "), "{{.Version}}", config.DevVersion)
			args := append([]string{"build", "-trimpath", "-buildvcs=false", "-ldflags=" + ld}, img.Flags...)
			key := strings.Join(append([]string{img.Dir, plat}, args...), "\x00")
			g := byKey[key]
			// go build -o DIR/ names each binary after its package: two
			// mains of one name need two builds.
			if g != nil && slices.ContainsFunc(g.targets, func(o target) bool { return path.Base(o.img.Main) == path.Base(img.Main) }) {
				g = nil
				key += "\x00" + img.Name
			}
			if g == nil {
				g = &group{dir: img.Dir, plat: plat, args: args}
				byKey[key] = g
				groups = append(groups, g)
			}
			g.targets = append(g.targets, target{img, plat})
		}
	}

	out := map[string]string{}
	var mu sync.Mutex
	var eg errgroup.Group
	eg.SetLimit(2)
	tmp := t.TempDir()
	for i, g := range groups {
		eg.Go(func() error {
			p, _ := platform.Parse(g.plat)
			goEnv, err := platform.GoEnv(p)
			if err != nil {
				return err
			}
			env := append(os.Environ(), append([]string{"CGO_ENABLED=0"}, goEnv...)...)
			var mains []string
			for _, tg := range g.targets {
				mains = append(mains, tg.img.Main)
			}
			keys, err := linkKeys(g.dir, env, g.args[1:], g.plat, mains)
			if err != nil {
				return err
			}
			bin := filepath.Join(tmp, strconv.Itoa(i)) + string(filepath.Separator)
			args := append(slices.Clone(g.args), "-o", bin)
			var names []string
			for _, tg := range g.targets {
				if _, ok := linked.get(keys[tg.img.Main]); !ok {
					args = append(args, tg.img.Main)
					names = append(names, tg.img.Name)
				}
			}
			if len(names) > 0 {
				cmd := exec.Command("go", args...)
				cmd.Dir = g.dir
				cmd.Env = env
				if b, err := cmd.CombinedOutput(); err != nil {
					return fmt.Errorf("building %v for %s: %v\n%s", names, g.plat, err, b)
				}
				for _, tg := range g.targets {
					if !slices.Contains(names, tg.img.Name) {
						continue
					}
					b, err := os.ReadFile(filepath.Join(bin, path.Base(tg.img.Main)))
					if err != nil {
						return fmt.Errorf("binary of %s %s: %w", tg.img.Name, g.plat, err)
					}
					sum := sha256.Sum256(b)
					linked.put(keys[tg.img.Main], hex.EncodeToString(sum[:]))
				}
			}
			for _, tg := range g.targets {
				img := tg.img
				binary, _ := linked.get(keys[img.Main])
				h := sha256.New()
				fmt.Fprintf(h, "binary=%s", binary)
				base, _ := bases.digest(context.Background(), img, g.plat)
				labels := sortedKeys(img.Labels)
				fmt.Fprintf(h, "\nbase=%s user=%s binary=%s labels=%v", base, img.User, img.Binary, labels)
				for _, k := range labels {
					fmt.Fprintf(h, " %s=%s", k, img.Labels[k])
				}
				if img.Data != "" {
					err := filepath.WalkDir(img.Data, func(p string, d fs.DirEntry, err error) error {
						if err != nil || d.IsDir() {
							return err
						}
						if d.Type()&fs.ModeSymlink != 0 { // the layer keeps links as links
							target, err := os.Readlink(p)
							fmt.Fprintf(h, "\n%s -> %s", rel(img.Data, p), target)
							return err
						}
						b, err := os.ReadFile(p)
						fmt.Fprintf(h, "\n%s %d %x", rel(img.Data, p), len(b), sha256.Sum256(b))
						return err
					})
					if err != nil {
						return err
					}
				}
				mu.Lock()
				out[img.Name+" "+g.plat] = hex.EncodeToString(h.Sum(nil))
				mu.Unlock()
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		t.Fatal(err)
	}
	return out
}

func edit(t *testing.T, root, file, old, new string) {
	t.Helper()
	p := filepath.Join(root, file)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendTo(t *testing.T, root, file, text string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		t.Fatal(err)
	}
	write(t, root, file, string(b)+text)
}

func write(t *testing.T, root, file, text string) {
	t.Helper()
	p := filepath.Join(root, file)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, dir string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
	}
}
