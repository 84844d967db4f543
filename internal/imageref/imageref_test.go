package imageref

import (
	"fmt"
	"testing"
)

func TestChoose(t *testing.T) {
	tests := []struct {
		flag, env, yaml, want string
	}{
		{"", "", "", ""},
		{"", "", "ghcr.io/acme", "ghcr.io/acme"},
		{"", "env.example/x", "ghcr.io/acme", "env.example/x"},
		{"flag.example/", "env.example/x", "ghcr.io/acme", "flag.example"},
		{"", "", "ghcr.io/acme//", "ghcr.io/acme"},
	}
	for _, tt := range tests {
		if got := Choose(tt.flag, tt.env, tt.yaml); got != tt.want {
			t.Errorf("Choose(%q, %q, %q) = %q, want %q", tt.flag, tt.env, tt.yaml, got, tt.want)
		}
	}
}

func TestJoin(t *testing.T) {
	tests := []struct {
		registry, repository, want string
	}{
		{"ghcr.io/acme", "api", "ghcr.io/acme/api"},
		{"ghcr.io/acme/", "api", "ghcr.io/acme/api"}, // plan --registry HOST/ used to show HOST//api
		{"localhost:5000", "/team/api", "localhost:5000/team/api"},
		{"", "api", "api"},
	}
	for _, tt := range tests {
		if got := Join(tt.registry, tt.repository); got != tt.want {
			t.Errorf("Join(%q, %q) = %q, want %q", tt.registry, tt.repository, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in       string
		insecure bool
		scheme   string
		registry string
	}{
		{in: "localhost:5000/acme/api:latest", scheme: "http", registry: "localhost:5000"},
		{in: "localhost/acme/api", scheme: "http", registry: "localhost"},
		{in: "127.0.0.1:5000/acme/api", scheme: "http", registry: "127.0.0.1:5000"},
		{in: "[::1]:5000/acme/api", scheme: "http", registry: "[::1]:5000"},
		{in: "ghcr.io/acme/api:v1", scheme: "https", registry: "ghcr.io"},
		{in: "ghcr.io/acme/api:v1", insecure: true, scheme: "http", registry: "ghcr.io"},
		{in: "registry.example.com:8443/api@sha256:0000000000000000000000000000000000000000000000000000000000000000", scheme: "https", registry: "registry.example.com:8443"},
	} {
		t.Run(fmt.Sprintf("%s insecure=%t", tc.in, tc.insecure), func(t *testing.T) {
			ref, err := Parse(tc.in, tc.insecure)
			if err != nil {
				t.Fatal(err)
			}
			if got := ref.Context().Scheme(); got != tc.scheme {
				t.Errorf("scheme = %s, want %s", got, tc.scheme)
			}
			if got := ref.Context().RegistryStr(); got != tc.registry {
				t.Errorf("registry = %s, want %s", got, tc.registry)
			}
		})
	}
	if _, err := Parse("Not A Reference", false); err == nil {
		t.Error("Parse accepted an invalid reference")
	}
	d, err := Digest("127.0.0.1:5000/acme/api@sha256:0000000000000000000000000000000000000000000000000000000000000000", false)
	if err != nil || d.Context().Scheme() != "http" {
		t.Errorf("Digest of a loopback registry = %v (%v), want plain HTTP", d, err)
	}
	r, err := Repository("ghcr.io/acme/api", true)
	if err != nil || r.Scheme() != "http" {
		t.Errorf("Repository insecure = %v (%v), want plain HTTP", r, err)
	}
}
