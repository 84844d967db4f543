package ciout

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFormatOutputs(t *testing.T) {
	tests := []struct {
		name string
		outs []Output
		want string // gobake_<random> delimiters read as DELIM
	}{
		{"none", nil, ""},
		{"one line", []Output{{"changed", "false"}, {"images", "[]"}}, "changed=false\nimages=[]\n"},
		{"several lines", []Output{{"refs", "a\nb\n"}}, "refs<<DELIM\na\nb\nDELIM\n"},
		{"credentials", []Output{{"repo", "https://x:TOKEN@example.com/r.git"}}, "repo=https://***@example.com/r.git\n"},
	}
	delim := regexp.MustCompile(`gobake_[0-9a-f]{16}`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FormatOutputs(tt.outs...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, delim.ReplaceAllString(got, "DELIM")); diff != "" {
				t.Errorf("FormatOutputs (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := FormatOutputs(Output{"a=b", "c"}); err == nil {
		t.Errorf("FormatOutputs accepted the name a=b")
	}
}

func TestShards(t *testing.T) {
	tests := []struct {
		n, changed int
		want       string
	}{
		{4, 0, `matrix={"include":[]}` + "\nchanged=false\n"},
		{4, 2, `matrix={"include":[{"shard":"1/2"},{"shard":"2/2"}]}` + "\nchanged=true\n"},
		{2, 300, `matrix={"include":[{"shard":"1/2"},{"shard":"2/2"}]}` + "\nchanged=true\n"},
		{1, 3, `matrix={"include":[{"shard":"1/1"}]}` + "\nchanged=true\n"},
	}
	for _, tt := range tests {
		outs, err := MatrixOutputs(Shards(tt.n, tt.changed))
		if err != nil {
			t.Fatal(err)
		}
		got, err := FormatOutputs(outs...)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Shards(%d, %d) (-want +got):\n%s", tt.n, tt.changed, diff)
		}
	}
	// A nil include is still [] in the JSON.
	outs, err := MatrixOutputs(Matrix[Shard]{})
	if err != nil || outs[0].Value != `{"include":[]}` {
		t.Errorf("MatrixOutputs of an empty matrix = %v, %v", outs, err)
	}
}

func TestFilesWrite(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{OutputEnv: filepath.Join(dir, "out"), SummaryEnv: filepath.Join(dir, "sum")}
	f := FromEnv(func(k string) string { return env[k] })
	for range 2 { // appends, never truncates
		if err := f.Write([]Output{{"changed", "true"}}, "| a | https://u:p@h/x |"); err != nil {
			t.Fatal(err)
		}
	}
	for path, want := range map[string]string{
		env[OutputEnv]:  "changed=true\nchanged=true\n",
		env[SummaryEnv]: strings.Repeat("| a | https://***@h/x |\n", 2),
	} {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, string(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", filepath.Base(path), diff)
		}
	}
	// Unset variables: nothing written, no error.
	if err := (Files{}).Write([]Output{{"a", "b"}}, "x"); err != nil {
		t.Errorf("Write without files: %v", err)
	}
}
