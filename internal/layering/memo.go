package layering

import "sync"

// memo runs a function at most once per key and shares its result with
// every caller, concurrent ones included. The zero value is ready to use.
type memo[K comparable, V any] struct {
	mu      sync.Mutex
	entries map[K]*memoEntry[V]
}

type memoEntry[V any] struct {
	done chan struct{}
	val  V
	err  error
}

// do returns the result of fn for key, calling fn only for the first caller.
func (m *memo[K, V]) do(key K, fn func() (V, error)) (V, error) {
	m.mu.Lock()
	if m.entries == nil {
		m.entries = map[K]*memoEntry[V]{}
	}
	e, ok := m.entries[key]
	if !ok {
		e = &memoEntry[V]{done: make(chan struct{})}
		m.entries[key] = e
	}
	m.mu.Unlock()
	if ok {
		<-e.done
		return e.val, e.err
	}
	e.val, e.err = fn()
	close(e.done)
	return e.val, e.err
}
