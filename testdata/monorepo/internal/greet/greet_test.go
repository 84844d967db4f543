package greet

import "testing"

func TestLine(t *testing.T) {
	tests := []struct{ name, want string }{
		{"api", "Hello, api!"},
		{"web", "Hello, web!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Line(tt.name); got != tt.want {
				t.Errorf("Line(%q) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}
