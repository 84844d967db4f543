package ciout

import (
	"encoding/json"
	"fmt"
)

// Matrix is a GitHub Actions job matrix, {"include":[…]}, for
// `strategy.matrix: ${{ fromJSON(…) }}`. It carries no version field: any
// other top-level key would become a matrix dimension.
type Matrix[E any] struct {
	Include []E `json:"include"` // never null: [] when there is no job
}

// Shard is one job of a sharded matrix.
type Shard struct {
	Shard string `json:"shard"` // "K/N", what --shard takes
}

// Shards returns the matrix of min(n, changed) shard jobs "1/M" … "M/M":
// every shard has at least one of the changed images to build, and none
// when nothing changed.
func Shards(n, changed int) Matrix[Shard] {
	m := Matrix[Shard]{Include: []Shard{}}
	total := min(n, changed)
	for k := 1; k <= total; k++ {
		m.Include = append(m.Include, Shard{Shard: fmt.Sprintf("%d/%d", k, total)})
	}
	return m
}

// MatrixOutputs returns the step outputs of a plan: matrix (m as compact
// JSON, one line) and changed ("true" when m has a job, else "false", for
// an `if:` to test since GitHub rejects an empty matrix).
func MatrixOutputs[E any](m Matrix[E]) ([]Output, error) {
	if m.Include == nil {
		m.Include = []E{}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("matrix: %w", err)
	}
	return []Output{{"matrix", string(b)}, {"changed", fmt.Sprint(len(m.Include) > 0)}}, nil
}
