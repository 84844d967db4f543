// Command tagfloor times the registry requests that any release of some
// images must make, and nothing else: the floor under a release's wall
// time that the registry sets. For each image of a release report (gobake
// release --output), it makes the requests gobake makes, with
// go-containerregistry, at most -jobs at once (gobake's registryJobs):
//
//   - a GET of the version tag (absent before the release: deciding the
//     version asks whether it is published);
//   - a GET of the manifest by digest (the check that it was pushed, and
//     the body of the tag PUTs);
//   - one PUT of that manifest per tag of the image.
//
// The tags are the report's with a prefix (-prefix, default "floor-"), so
// that the version tag is absent as before a release and the release's
// own tags are left alone. It prints the wall time in seconds on stdout.
//
// Usage: go run ./bench/tagfloor -report finalize.json [-jobs 16]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"golang.org/x/sync/errgroup"

	"github.com/gobake/gobake/internal/pingcache"
)

// image is what tagfloor reads of an image of a release report.
type image struct {
	Image     string   `json:"image"`
	Reference string   `json:"reference"` // registry/repository@digest
	Tags      []string `json:"tags"`      // the version tag first
}

func main() {
	report := flag.String("report", "", "release report (gobake release --output FILE)")
	jobs := flag.Int("jobs", 16, "requests at once (gobake's registryJobs)")
	prefix := flag.String("prefix", "floor-", "prefix of the tags put")
	flag.Parse()
	if *report == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: tagfloor -report FILE [-jobs N] [-prefix P]")
		os.Exit(2)
	}
	imgs, err := readReport(*report)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tagfloor:", err)
		os.Exit(1)
	}
	start := time.Now()
	n, err := floor(context.Background(), imgs, *jobs, *prefix)
	wall := time.Since(start)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tagfloor:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "tagfloor: %d images, %d requests, %d at once: %.2f s\n", len(imgs), n, *jobs, wall.Seconds())
	fmt.Printf("%.2f\n", wall.Seconds())
}

// readReport reads the images of the release report file.
func readReport(file string) ([]image, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var rep struct {
		Images []image `json:"images"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(rep.Images) == 0 {
		return nil, fmt.Errorf("%s: no images", file)
	}
	return rep.Images, nil
}

// floor makes the requests of a release of imgs, at most jobs at once,
// over gobake's own transport (pingcache.New: the registry pinged
// once, https not tried again once it answered over http) and sharing one
// Puller and one Pusher, as gobake does, and returns how many it made.
func floor(ctx context.Context, imgs []image, jobs int, prefix string) (int64, error) {
	opts := []remote.Option{remote.WithContext(ctx), remote.WithTransport(pingcache.New(false)), remote.WithUserAgent("tagfloor")}
	puller, err := remote.NewPuller(opts...)
	if err != nil {
		return 0, err
	}
	pusher, err := remote.NewPusher(opts...)
	if err != nil {
		return 0, err
	}
	opts = append(opts, remote.Reuse(puller), remote.Reuse(pusher))
	var requests atomic.Int64
	var g errgroup.Group
	g.SetLimit(max(jobs, 1))
	for _, img := range imgs {
		g.Go(func() error {
			ref, err := name.NewDigest(img.Reference, name.Insecure)
			if err != nil || len(img.Tags) == 0 {
				return fmt.Errorf("%s: reference %q, tags %v: %v", img.Image, img.Reference, img.Tags, err)
			}
			tag := func(t string) name.Tag { return ref.Context().Tag(prefix + strings.ReplaceAll(t, "+", "_")) }
			version := tag(img.Tags[0])
			_, err = remote.Get(version, opts...)
			requests.Add(1)
			var terr *transport.Error
			if !errors.As(err, &terr) || terr.StatusCode != http.StatusNotFound {
				return fmt.Errorf("%s: GET %s: want 404, got %v", img.Image, version, err)
			}
			desc, err := remote.Get(ref, opts...)
			requests.Add(1)
			if err != nil {
				return fmt.Errorf("%s: GET %s: %w", img.Image, ref, err)
			}
			for _, t := range img.Tags {
				if err := remote.Put(tag(t), desc, opts...); err != nil {
					return fmt.Errorf("%s: PUT %s: %w", img.Image, tag(t), err)
				}
				requests.Add(1)
			}
			return nil
		})
	}
	err = g.Wait()
	return requests.Load(), err
}
