package yamldoc

import (
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name    string
		src     string
		docs    int
		wantErr bool
	}{
		{"empty", "", 0, false},
		{"one", "a: 1\n", 1, false},
		{"three", "a: 1\n---\nb: 2\n---\n- c\n", 3, false},
		{"separator only", "---\n", 1, false},
		{"bad second document", "a: 1\n---\nb: [\n", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := Decode([]byte(tc.src))
			if (err != nil) != tc.wantErr {
				t.Fatalf("Decode: err = %v, want error %v", err, tc.wantErr)
			}
			if len(docs) != tc.docs {
				t.Errorf("Decode: %d documents, want %d", len(docs), tc.docs)
			}
		})
	}
}

func TestWalk(t *testing.T) {
	docs, err := Decode([]byte("a: [x, y]\nb: {c: z}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var scalars []string
	Walk(docs[0], func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode {
			scalars = append(scalars, n.Value)
		}
	})
	if want := []string{"a", "x", "y", "b", "c", "z"}; !slices.Equal(scalars, want) {
		t.Errorf("Walk visited %v, want %v", scalars, want)
	}
}
