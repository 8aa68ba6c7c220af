package smcrypto

import (
	"bytes"
	"sync"
)

// PathCache keeps the outcome of certificate path verifications across ChainBuilders, for a
// long-lived verifier (a server) that sees the same issuing chains in document after document.
//
// A path's outcome depends only on the exact bytes of its certificates (and on
// ChainOptions.AllowSHA1), never on the trust anchors configured or on the time asked: the
// validity periods are the caller's to judge (CheckValidityAt), and revocation is not part of it.
// So a remembered outcome is exactly what verifying again would give. Entries are keyed by the
// SHA-256 of every certificate of the path. The cache is bounded: when full it is emptied
// (the working set of a verifier is a few regions' chains, far below the bound).
//
// A PathCache is safe for concurrent use. The zero value is not usable; use NewPathCache.
type PathCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]cachedPath
	hits    uint64
}

// cachedPath is an outcome stored without certificate pointers: they belong to the document
// that was verified first, so they are given back as positions in the path.
type cachedPath struct {
	chain     []int // positions in the path of the chain's certificates; nil for a failure
	err       *ChainError
	errCertAt int // position in the path of err.Cert, or -1
}

// DefaultPathCacheSize is the bound NewPathCache uses for size <= 0.
const DefaultPathCacheSize = 4096

// NewPathCache returns an empty cache holding at most size outcomes (DefaultPathCacheSize if
// size <= 0).
func NewPathCache(size int) *PathCache {
	if size <= 0 {
		size = DefaultPathCacheSize
	}
	return &PathCache{max: size, entries: map[string]cachedPath{}}
}

// Len is the number of outcomes held.
func (c *PathCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Hits is how many verifications the cache has saved.
func (c *PathCache) Hits() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits
}

func (c *PathCache) get(key string, path []*Certificate) (pathOutcome, bool) {
	if c == nil {
		return pathOutcome{}, false
	}
	c.mu.Lock()
	e, ok := c.entries[key]
	if ok {
		c.hits++
	}
	c.mu.Unlock()
	if !ok {
		return pathOutcome{}, false
	}
	if e.err != nil {
		ce := *e.err
		ce.Cert = nil
		if e.errCertAt >= 0 {
			ce.Cert = path[e.errCertAt]
		}
		return pathOutcome{err: &ce}, true
	}
	chain := make([]*Certificate, len(e.chain))
	for i, at := range e.chain {
		chain[i] = path[at]
	}
	return pathOutcome{chain: chain}, true
}

func (c *PathCache) put(key string, path []*Certificate, out pathOutcome) {
	if c == nil {
		return
	}
	e := cachedPath{errCertAt: -1}
	if out.err != nil {
		if out.err.Reason == ChainOther {
			return // may be a panic or a library oddity: not worth remembering
		}
		e.err = out.err
		if out.err.Cert != nil {
			if e.errCertAt = indexIn(path, out.err.Cert); e.errCertAt < 0 {
				return
			}
		}
	} else {
		for _, cert := range out.chain {
			at := indexIn(path, cert)
			if at < 0 {
				return // not expressible as positions: do not remember it
			}
			e.chain = append(e.chain, at)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		clear(c.entries)
	}
	c.entries[key] = e
}

func indexIn(path []*Certificate, cert *Certificate) int {
	for i, p := range path {
		if p == cert || bytes.Equal(p.Raw, cert.Raw) {
			return i
		}
	}
	return -1
}
