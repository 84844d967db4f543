package errlines

import (
	"errors"
	"testing"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		errs []error
		want string
	}{
		{name: "none", want: ""},
		{name: "one", errs: []error{errors.New("a: bad")}, want: "a: bad"},
		{name: "several", errs: []error{errors.New("a: bad"), errors.New("b: worse")}, want: "a: bad\nb: worse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Format(tt.errs); got != tt.want {
				t.Errorf("Format = %q, want %q", got, tt.want)
			}
		})
	}
}
