package gitops

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/gobake/gobake/internal/config"
)

// helmTag, helmTagDigest and helmDigest write api's tag, or tag and
// digest, at .image.tag and .image.digest.
var (
	helmTag       = config.GitOpsTarget{File: "values.yaml", Helm: map[string]config.HelmPaths{"api": {Tag: ".image.tag"}}}
	helmTagDigest = config.GitOpsTarget{File: "values.yaml", Helm: map[string]config.HelmPaths{"api": {Tag: ".image.tag", Digest: ".image.digest"}}}
	helmRepoTag   = config.GitOpsTarget{File: "values.yaml", Helm: map[string]config.HelmPaths{"api": {Repository: ".image.repository", Tag: ".image.tag"}}}
)

// TestEditValueStyles edits values written in every style YAML allows for
// a string: empty, null, quoted, tagged, anchored, in flow collections.
// Each comes out as valid YAML with only the value changed.
func TestEditValueStyles(t *testing.T) {
	a := "1.1.0@" + digestA
	for _, tc := range []struct {
		name   string
		file   string // default values.yaml
		target config.GitOpsTarget
		pin    config.Pin
		src    string
		want   string
	}{
		{name: "helm empty", target: helmTag, src: "image:\n  tag:\n  pullPolicy: Always\n", want: "image:\n  tag: " + a + "\n  pullPolicy: Always\n"},
		{name: "helm empty at end of file", target: helmTag, src: "image:\n  tag:", want: "image:\n  tag: " + a},
		{name: "helm empty with comment", target: helmTag, src: "image:\n  tag: # set by CI\n", want: "image:\n  tag: " + a + " # set by CI\n"},
		{name: "helm empty, CRLF", target: helmTag, src: "image:\r\n  tag:\r\n  x: 1\r\n", want: "image:\r\n  tag: " + a + "\r\n  x: 1\r\n"},
		{name: "helm tilde", target: helmTag, src: "image:\n  tag: ~\n", want: "image:\n  tag: " + a + "\n"},
		{name: "helm null", target: helmTag, src: "image:\n  tag: null # none yet\n", want: "image:\n  tag: " + a + " # none yet\n"},
		{name: "helm empty double-quoted", target: helmTag, src: "image:\n  tag: \"\"\n", want: "image:\n  tag: \"" + a + "\"\n"},
		{name: "helm empty single-quoted", target: helmTag, src: "image:\n  tag: ''\n", want: "image:\n  tag: '" + a + "'\n"},
		{name: "helm quoted key", target: helmTag, src: "\"image\":\n  'tag':\n", want: "\"image\":\n  'tag': " + a + "\n"},
		{name: "helm non-specific tag, empty", target: helmTagDigest, src: "image:\n  tag: 1.0.0\n  digest: !\n  x: 1\n", want: "image:\n  tag: 1.1.0\n  digest: ! " + digestA + "\n  x: 1\n"},
		{name: "helm !!str, empty", target: helmTag, src: "image:\n  tag: !!str\n", want: "image:\n  tag: !!str " + a + "\n"},
		{name: "helm !!str", target: helmTag, src: "image:\n  tag: !!str 1.0\n", want: "image:\n  tag: !!str " + a + "\n"},
		{name: "helm !!str on the next line", target: helmTag, src: "image:\n  tag: !!str\n    1.0\n", want: "image:\n  tag: !!str\n    " + a + "\n"},
		{name: "helm anchored empty", target: helmTag, src: "image:\n  tag: &t\nother: *t\n", want: "image:\n  tag: &t " + a + "\nother: *t\n"},
		{name: "helm version-like number", target: helmTag, pin: config.PinTag, src: "image:\n  tag: 1.0\n", want: "image:\n  tag: 1.1.0\n"},
		{name: "helm flow map", target: helmRepoTag, src: "image: {repository: ghcr.io/acme/old, tag: 1.0.0}\n", want: "image: {repository: ghcr.io/acme/api, tag: " + a + "}\n"},
		{name: "helm flow map, empty", target: helmRepoTag, src: "image: {repository: , tag: }\n", want: "image: {repository: ghcr.io/acme/api , tag: " + a + " }\n"},
		{name: "helm flow map, key only", target: helmTag, src: "image: {tag}\n", want: "image: {tag: " + a + "}\n"},
		{name: "helm flow map, key only, not last", target: helmTag, src: "image: {tag, x: 1}\n", want: "image: {tag: " + a + ", x: 1}\n"},
		{name: "kustomize empty newTag", file: "kustomization.yaml", src: "images:\n- name: ghcr.io/acme/api\n  newTag:\n", want: "images:\n- name: ghcr.io/acme/api\n  newTag: " + a + "\n"},
		{name: "kustomize all empty", file: "kustomization.yaml", src: "images:\n  - name: api\n    newName:\n    newTag:\n    digest:\n", want: "images:\n  - name: api\n    newName: ghcr.io/acme/api\n    newTag: 1.1.0\n    digest: " + digestA + "\n"},
		{name: "kustomize null digest, pin tag", file: "kustomization.yaml", pin: config.PinTag, src: "images:\n- name: api\n  newTag: 1.0.0\n  digest: ~\n", want: "images:\n- name: api\n  newTag: 1.1.0\n  digest: ~\n"},
		{name: "kustomize non-specific tag", file: "kustomization.yaml", pin: config.PinDigest, src: "images:\n- name: api\n  digest: !\n- name: other\n", want: "images:\n- name: api\n  digest: ! " + digestA + "\n- name: other\n"},
		{name: "kustomize flow entry", file: "kustomization.yaml", src: "images: [{name: api, newTag: 1.0.0}]\n", want: "images: [{name: api, newTag: " + a + "}]\n"},
		{name: "kustomize flow entry, empty", file: "kustomization.yaml", src: "images: [{name: api, newTag: , x: y}]\n", want: "images: [{name: api, newTag: " + a + " , x: y}]\n"},
		{name: "kustomize flow entry, insert", file: "kustomization.yaml", pin: config.PinDigest, src: "images: [{name: api}]\n", want: "images: [{name: api, digest: " + digestA + "}]\n"},
		{name: "kustomize tilde newTag", file: "kustomization.yaml", src: "images:\n- name: api\n  newTag: ~\n", want: "images:\n- name: api\n  newTag: " + a + "\n"},
		{name: "flux marker on empty", file: "release.yaml", src: "image:\n  tag: # {\"$imagepolicy\": \"flux-system:api:tag\"}\n  x: 1\n", want: "image:\n  tag: " + a + " # {\"$imagepolicy\": \"flux-system:api:tag\"}\n  x: 1\n"},
		{name: "flux marker on null", file: "release.yaml", src: "image:\n  tag: null # {\"$imagepolicy\": \"flux-system:api:tag\"}\n", want: "image:\n  tag: " + a + " # {\"$imagepolicy\": \"flux-system:api:tag\"}\n"},
		{name: "flux marker on !!str", file: "release.yaml", src: "image: !!str x # {\"$imagepolicy\": \"flux-system:api\"}\n", want: "image: !!str ghcr.io/acme/api:" + a + " # {\"$imagepolicy\": \"flux-system:api\"}\n"},
		{name: "image in a flow map", file: "deploy.yaml", src: "containers: [{name: api, image: ghcr.io/acme/api:1.0.0}]\n", want: "containers: [{name: api, image: ghcr.io/acme/api:" + a + "}]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := tc.file
			if file == "" {
				file = "values.yaml"
			}
			target := tc.target
			target.File = file
			pin := tc.pin
			if pin == "" {
				pin = config.PinTagDigest
			}
			out, _, err := Edit([]byte(tc.src), file, target, testUpdates(), pin)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(out)); diff != "" {
				t.Errorf("output differs (-want +got):\n%s", diff)
			}
			var n yaml.Node
			if err := yaml.Unmarshal(out, &n); err != nil {
				t.Errorf("output is not YAML: %v", err)
			}
			again, _, err := Edit(out, file, target, testUpdates(), pin)
			if err != nil {
				t.Fatal(err)
			}
			if string(again) != string(out) {
				t.Errorf("a second edit changes the file again:\n%s", cmp.Diff(string(out), string(again)))
			}
		})
	}
}

// TestEditRefusesValues checks the values that cannot hold a reference
// are refused with one line naming file:line:col and the field.
func TestEditRefusesValues(t *testing.T) {
	for _, tc := range []struct {
		name   string
		file   string // default values.yaml
		target config.GitOpsTarget
		pin    config.Pin
		src    string
		want   string
	}{
		{name: "helm !!null", target: helmTag, src: "image:\n  tag: !!null\n", want: "values.yaml:2:3: .image.tag: has the tag !!null, which a reference would contradict; remove the tag"},
		{name: "helm !!int", target: helmTag, src: "image:\n  tag: !!int 5\n", want: "values.yaml:2:8: .image.tag: has the tag !!int, which a reference would contradict; remove the tag"},
		{name: "helm custom tag", target: helmTag, src: "image:\n  tag: !version 1.0\n", want: "values.yaml:2:8: .image.tag: has the tag !version, which a reference would contradict; remove the tag"},
		{name: "helm mapping", target: helmTag, src: "image:\n  tag: {a: b}\n", want: "values.yaml:2:8: .image.tag: is a mapping, not a string"},
		{name: "helm sequence", target: helmTag, src: "image:\n  tag:\n  - 1\n", want: "values.yaml:3:3: .image.tag: is a sequence, not a string"},
		{name: "helm tag on the next line, empty", target: helmTag, src: "image:\n  tag:\n    !!str\n  x: 1\n", want: "values.yaml:2:3: .image.tag: cannot edit an empty value whose anchor or tag is on another line"},
		{name: "helm multi-line plain", target: helmTag, src: "image:\n  tag: 1.0\n    .0\n", want: "values.yaml:2:8: .image.tag: cannot edit a multi-line plain scalar"},
		{name: "helm explicit key", target: helmTag, src: "image:\n  ? tag\n  :\n", want: "values.yaml:2:5: .image.tag: cannot find the \":\" after the key"},
		{name: "kustomize !!binary", file: "kustomization.yaml", src: "images:\n- name: api\n  newTag: !!binary aGk=\n", want: "kustomization.yaml:3:11: newTag: has the tag !!binary, which a reference would contradict; remove the tag"},
		{name: "kustomize mapping newName", file: "kustomization.yaml", src: "images:\n- name: api\n  newName: {a: b}\n", want: "kustomization.yaml:3:12: newName: is a mapping, not a string"},
		{name: "kustomize alias newTag", file: "kustomization.yaml", src: "t: &t 1.0\nimages:\n- name: api\n  newTag: *t\n", want: "kustomization.yaml:4:11: newTag: is the alias *t; edit the anchored value instead"},
		{name: "flux marker on !!int", file: "release.yaml", src: "tag: !!int 5 # {\"$imagepolicy\": \"flux-system:api:tag\"}\n", want: "release.yaml:1:6: tag: has the tag !!int, which a reference would contradict; remove the tag"},
		{name: "image with a custom tag", file: "deploy.yaml", src: "image: !ref ghcr.io/acme/api:1.0\n", want: "deploy.yaml:1:8: image: has the tag !ref, which a reference would contradict; remove the tag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := tc.file
			if file == "" {
				file = "values.yaml"
			}
			target := tc.target
			target.File = file
			pin := tc.pin
			if pin == "" {
				pin = config.PinTagDigest
			}
			out, _, err := Edit([]byte(tc.src), file, target, testUpdates(), pin)
			if err == nil {
				t.Fatalf("Edit succeeded:\n%s", out)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("error differs (-want +got):\n%s", diff)
			}
			if errors.Is(err, errUnsafeEdit) {
				t.Error("refused by the safety net, not by the editor")
			}
		})
	}
}

// TestVerify checks that the safety net reports every change other than
// the targeted values, at the original node's file:line:col.
func TestVerify(t *testing.T) {
	const src = "# head\na: 1 # one\nb: [x, y]\nc: &c {d: e}\nf: *c\ntag: 1.0.0\n"
	for _, tc := range []struct {
		name   string
		out    string
		insert bool // an entry g: h was inserted into the root mapping
		want   string
	}{
		{name: "only the target", out: "# head\na: 1 # one\nb: [x, y]\nc: &c {d: e}\nf: *c\ntag: 1.1.0\n"},
		{name: "inserted entry", insert: true, out: "# head\na: 1 # one\nb: [x, y]\nc: &c {d: e}\nf: *c\ntag: 1.1.0\ng: h\n"},
		{name: "not YAML", out: "# head\na: 1 # one\nb: [x, y\ntag: 1.1.0\n", want: "values.yaml:3: %s: the result is not valid YAML: did not find expected ',' or ']'"},
		{name: "another value", out: "# head\na: 2 # one\nb: [x, y]\nc: &c {d: e}\nf: *c\ntag: 1.1.0\n", want: `values.yaml:2:4: %s: "1" becomes "2"`},
		{name: "a type", out: "# head\na: '1' # one\nb: [x, y]\nc: &c {d: e}\nf: *c\ntag: 1.1.0\n", want: "values.yaml:2:4: %s: tag !!int becomes !!str"},
		{name: "a style", out: "# head\na: 1 # one\nb:\n- x\n- y\nc: &c {d: e}\nf: *c\ntag: 1.1.0\n", want: "values.yaml:3:4: %s: the style of sequence changes"},
		{name: "a comment", out: "# head\na: 1\nb: [x, y]\nc: &c {d: e}\nf: *c\ntag: 1.1.0\n", want: `values.yaml:2:4: %s: the comment "# one" is lost`},
		{name: "an anchor", out: "# head\na: 1 # one\nb: [x, y]\nc: &k {d: e}\nf: *k\ntag: 1.1.0\n", want: "values.yaml:4:4: %s: anchor &c becomes &k"},
		{name: "the target's value", out: "# head\na: 1 # one\nb: [x, y]\nc: &c {d: e}\nf: *c\ntag: 1.1.1\n", want: `values.yaml:6:6: %s: the value set to "1.1.0" reads back as !!str "1.1.1"`},
		{name: "the target's type", out: "# head\na: 1 # one\nb: [x, y]\nc: &c {d: e}\nf: *c\ntag: !!binary 1.1.0\n", want: `values.yaml:6:6: %s: the value set to "1.1.0" reads back as !!binary "1.1.0"`},
		{name: "an entry more", out: "# head\na: 1 # one\nb: [x, y]\nc: &c {d: e}\nf: *c\ntag: 1.1.0\ng: h\n", want: "values.yaml:2:1: %s: 10 children become 12"},
		{name: "a document more", out: "# head\na: 1 # one\nb: [x, y]\nc: &c {d: e}\nf: *c\ntag: 1.1.0\n---\nx: 1\n", want: "values.yaml: %s: 1 documents become 2"},
		{name: "the insert is missing", insert: true, out: "# head\na: 1 # one\nb: [x, y]\nc: &c {d: e}\nf: *c\ntag: 1.1.0\n", want: "values.yaml:2:1: %s: the added g is missing"},
		{name: "the insert's value", insert: true, out: "# head\na: 1 # one\nb: [x, y]\nc: &c {d: e}\nf: *c\ntag: 1.1.0\ng: 1\n", want: `values.yaml:2:1: %s: the added g reads back as !!int "1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := parseDocuments([]byte(src), "values.yaml")
			if err != nil {
				t.Fatal(err)
			}
			root := docs[0].Content[0]
			sets := map[*yaml.Node]string{lookup(root, "tag"): "1.1.0"}
			inserts := map[*yaml.Node][]insertion{}
			if tc.insert {
				inserts[root] = []insertion{{"g", "h"}}
			}
			err = verify("values.yaml", docs, []byte(tc.out), sets, inserts)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			want := strings.ReplaceAll(tc.want, "%s", errUnsafeEdit.Error())
			if err == nil {
				t.Fatalf("verify passed; want %s", want)
			}
			if diff := cmp.Diff(want, err.Error()); diff != "" {
				t.Errorf("error differs (-want +got):\n%s", diff)
			}
			if !errors.Is(err, errUnsafeEdit) {
				t.Error("not marked errUnsafeEdit")
			}
		})
	}
}
