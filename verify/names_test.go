package verify

import (
	"fmt"
	"testing"
)

// TestCachedWords: a name is rendered once, and the cache stays bounded.
func TestCachedWords(t *testing.T) {
	renders := 0
	render := func() string { renders++; return "CN=Test" }
	der := []byte("a DER name for TestCachedWords")
	for range 3 {
		if got := cachedWords(der, 's', render); got != "CN=Test" {
			t.Fatalf("got %q", got)
		}
	}
	if renders != 1 {
		t.Errorf("rendered %d times, want once", renders)
	}
	for i := range 600 {
		cachedWords([]byte(fmt.Sprintf("name %d", i)), 's', func() string { return "x" })
	}
	words.Lock()
	n := len(words.m['s'])
	words.Unlock()
	if n > 256 {
		t.Errorf("%d entries, want at most 256", n)
	}
}
