package verify

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"

	"github.com/eseal/eseal/internal/seal"
	"github.com/eseal/eseal/internal/smcrypto"
)

// Cache lets the verifications of a long-lived verifier (a server, a batch) share the results
// that depend only on bytes already seen: certificate path signatures, and seal makers'
// signatures over their seals. An approval bureau's licences all carry the same seal and the
// same certificates, so from the second licence on, only what is particular to the document is
// computed: its hash, its own signature, validity periods at its times, revocation.
//
// Only mathematical facts about exact bytes are kept (keyed by SHA-256 over all of them);
// nothing that depends on time, trust anchors or revocation is. A report is the same with or
// without a Cache. A Cache is bounded, safe for concurrent use, and optional (Options.Cache).
type Cache struct {
	paths *smcrypto.PathCache

	mu    sync.Mutex
	seals map[[32]byte]smcrypto.SigEncoding // maker signatures that verified, with their encoding
	hits  uint64
}

// cacheSize bounds each part of a Cache; a full part is emptied and starts over.
const cacheSize = 4096

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{paths: smcrypto.NewPathCache(cacheSize), seals: map[[32]byte]smcrypto.SigEncoding{}}
}

// Hits is how many certificate path and seal signature verifications the cache has saved.
func (c *Cache) Hits() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits + c.paths.Hits()
}

func (c *Cache) pathCache() *smcrypto.PathCache {
	if c == nil {
		return nil
	}
	return c.paths
}

// makerSignature runs check (the verification of s's maker signature) unless a seal with the
// same maker certificate, algorithm, signed bytes and signature value was verified before.
// Only successes are kept: a failure is rare and is worth its full detail every time.
func (c *Cache) makerSignature(s *seal.Seal, check func() (smcrypto.SigEncoding, error)) (smcrypto.SigEncoding, error) {
	if c == nil {
		return check()
	}
	key := sealSignatureKey(s)
	c.mu.Lock()
	enc, ok := c.seals[key]
	if ok {
		c.hits++
	}
	c.mu.Unlock()
	if ok {
		return enc, nil
	}
	enc, err := check()
	if err == nil {
		c.mu.Lock()
		if len(c.seals) >= cacheSize {
			clear(c.seals)
		}
		c.seals[key] = enc
		c.mu.Unlock()
	}
	return enc, err
}

// sealSignatureKey hashes every input of the maker signature check, each with its length so
// that no two different inputs run together into the same bytes.
func sealSignatureKey(s *seal.Seal) [32]byte {
	h := sha256.New()
	var n [8]byte
	for _, part := range [][]byte{s.MakerCert, []byte(s.SignAlgorithm), s.RawSealInfo, s.SignedValue} {
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	var key [32]byte
	h.Sum(key[:0])
	return key
}
