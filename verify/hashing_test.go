package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/eseal/eseal/internal/smcrypto"
)

// directDigest hashes ranges of data the plain way.
func directDigest(t *testing.T, newHash func() hash.Hash, data []byte, ranges [][2]int64) []byte {
	t.Helper()
	h := newHash()
	for _, r := range ranges {
		h.Write(data[r[0]:r[1]])
	}
	return h.Sum(nil)
}

func mustJob(t *testing.T, alg smcrypto.OID, ranges [][2]int64) *hashJob {
	t.Helper()
	j, err := newDigestJob(alg, ranges)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// TestHashPlanSharesPrefixes: signatures of the PDF shape [0, a) [b, end) over one file, in two
// algorithms, out-of-order ranges and a state that cannot share (an SM2 message hash): every
// digest equals the plain one, the input is read once, and the work is one trunk per algorithm
// plus each signature's own ranges.
func TestHashPlanSharesPrefixes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 3*streamChunk+12345)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	size := int64(len(data))
	type sig struct {
		alg    smcrypto.OID
		ranges [][2]int64
	}
	sigs := []sig{
		{smcrypto.OIDSM3, [][2]int64{{0, 1000}, {3000, 50000}}},
		{smcrypto.OIDSM3, [][2]int64{{0, 60000}, {70000, size}}},
		{smcrypto.OIDSHA256, [][2]int64{{0, 2 * streamChunk}, {2*streamChunk + 10, size}}},
		{smcrypto.OIDSM3, [][2]int64{{0, streamChunk}, {streamChunk + 100, streamChunk + 200}}}, // the cut on a chunk boundary
		{smcrypto.OIDSM3, [][2]int64{{0, 0}, {5, 10}}},                                          // an empty first range
		{smcrypto.OIDSHA1, [][2]int64{{500, 600}, {700, 800}}},                                  // not from the start: not shared
		{smcrypto.OIDSM3, [][2]int64{{9000, 9500}, {100, 200}}},                                 // out of order: read on its own
	}
	p := &hashPlan{size: size}
	var jobs []*hashJob
	var want int64
	for _, s := range sigs {
		j := mustJob(t, s.alg, s.ranges)
		jobs = append(jobs, j)
		p.groups = append(p.groups, hashGroup{j})
	}
	counter := &countingReader{r: bytes.NewReader(data)}
	if err := p.run(context.Background(), counter, nil); err != nil {
		t.Fatal(err)
	}
	p.finish()
	for i, j := range jobs {
		if got, w := j.sum, directDigest(t, j.newHash, data, j.ranges); !bytes.Equal(got, w) {
			t.Errorf("signature %d (%s %v): digest %x, want %x", i, j.alg, j.ranges, got, w)
		}
	}
	// Trunks: SM3 up to one chunk (signature 3), SHA-256 up to two; own ranges: all but the shared first ones.
	want = streamChunk + 2*streamChunk
	for _, j := range jobs {
		for i, r := range j.ranges {
			if i > 0 || !j.shared {
				want += r[1] - r[0]
			}
		}
	}
	if p.work != want || p.hashed != want {
		t.Errorf("planned %d bytes, hashed %d, want %d", p.work, p.hashed, want)
	}
	if !jobs[0].shared || !jobs[2].shared || jobs[5].shared || jobs[6].shared || jobs[6].ordered {
		t.Errorf("sharing decided wrongly: %+v", jobs)
	}
	if sum := sha256.Sum256(data); !bytes.Equal(p.docSum, sum[:]) {
		t.Errorf("document SHA-256 %x, want %x", p.docSum, sum)
	}
	// One pass, plus the out-of-order job's 600 bytes (two small reads).
	if counter.bytes != size+600 {
		t.Errorf("read %d bytes of a %d-byte input", counter.bytes, size)
	}
}

// TestHashPlanBudget: signatures whose own bytes are the whole file each (as when they all sit
// at the start of the last revision) run until the budget is spent; the rest are not hashed.
func TestHashPlanBudget(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 1<<20) // 10 MiB
	size := int64(len(data))
	p := &hashPlan{size: size}
	var jobs []*hashJob
	for i := range 40 {
		a := int64(1000 + 100*i)
		j := mustJob(t, smcrypto.OIDSM3, [][2]int64{{0, a}, {a + 50, size}})
		jobs = append(jobs, j)
		p.groups = append(p.groups, hashGroup{j})
	}
	if err := p.run(context.Background(), bytes.NewReader(data), nil); err != nil {
		t.Fatal(err)
	}
	budget := workBudget(size)
	if p.hashed > budget || p.hashed != p.work {
		t.Errorf("hashed %d bytes, planned %d, budget %d", p.hashed, p.work, budget)
	}
	ran := 0
	for i, j := range jobs {
		if j.overBudget {
			if j.sum != nil {
				t.Errorf("job %d is over budget but was hashed", i)
			}
			continue
		}
		ran++
		if !bytes.Equal(j.sum, directDigest(t, j.newHash, data, j.ranges)) {
			t.Errorf("job %d: wrong digest", i)
		}
	}
	// Each costs about the file: budget/size of them fit.
	if want := int(budget / size); ran < want-1 || ran > want {
		t.Errorf("%d of %d signatures hashed; about %d fit in the budget", ran, len(jobs), want)
	}
}

// TestHashPlanGroupAllOrNothing: the candidate digests of one signature run together or not
// at all.
func TestHashPlanGroupAllOrNothing(t *testing.T) {
	data := make([]byte, 1<<20)
	size := int64(len(data))
	big := [][2]int64{{100, size}} // not from 0: nothing shared
	p := &hashPlan{size: size}
	var filler hashGroup
	for range int(workBudget(size)/size) - 2 {
		filler = append(filler, mustJob(t, smcrypto.OIDSM3, big))
	}
	group := hashGroup{mustJob(t, smcrypto.OIDSHA1, big), mustJob(t, smcrypto.OIDSHA256, big), mustJob(t, smcrypto.OIDSHA384, big)}
	p.groups = []hashGroup{filler, group}
	if err := p.run(context.Background(), bytes.NewReader(data), nil); err != nil {
		t.Fatal(err)
	}
	for _, j := range group {
		if !j.overBudget {
			t.Errorf("%s ran although the group does not fit", j.alg)
		}
	}
}

// TestHashPlanErrors: a cancelled context and a reader that ends early stop the pass with
// their errors.
func TestHashPlanErrors(t *testing.T) {
	data := make([]byte, 3*streamChunk)
	size := int64(len(data))
	newPlan := func() *hashPlan {
		return &hashPlan{size: size, groups: []hashGroup{{mustJob(t, smcrypto.OIDSM3, [][2]int64{{0, 10}, {20, size}})}}}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := newPlan().run(ctx, bytes.NewReader(data), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	short := bytes.NewReader(data[:size-10])
	var ends *errInputEnds
	if err := newPlan().run(context.Background(), short, nil); !errors.As(err, &ends) || ends.at != size-10 {
		t.Errorf("short input: %v", err)
	}
	failing := failingReader{r: bytes.NewReader(data)}
	if err := newPlan().run(context.Background(), failing, nil); !errors.Is(err, errDisk) {
		t.Errorf("failing reader: %v", err)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r     io.ReaderAt
	bytes int64
	calls int
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.bytes += int64(n)
	c.calls++
	return n, err
}

// TestHashPlanWithHelper: with a helper that has done its tasks, the document's SHA-256 is
// computed on the helper from the same chunks the pass reads: the same digests, one pass.
func TestHashPlanWithHelper(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 3*streamChunk/16+1000)
	size := int64(len(data))
	for _, wait := range []bool{true, false} {
		p := &hashPlan{size: size, groups: []hashGroup{{mustJob(t, smcrypto.OIDSM3, [][2]int64{{0, 1000}, {2000, size}})}}}
		released := make(chan struct{})
		block := make(chan struct{})
		h := newHelper(func() { close(released) })
		h.give([]func(){func() { <-block }})
		if wait {
			close(block) // the helper is free from the first chunk
		}
		counter := &countingReader{r: bytes.NewReader(data)}
		errc := make(chan error)
		go func() { errc <- p.run(context.Background(), counter, h) }()
		if !wait {
			close(block) // the helper is busy for part of the pass, or all of it
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		p.finish()
		h.stop()
		<-released
		if sum := sha256.Sum256(data); !bytes.Equal(p.docSum, sum[:]) {
			t.Errorf("wait %v: document SHA-256 %x, want %x", wait, p.docSum, sum)
		}
		j := p.groups[0][0]
		if !bytes.Equal(j.sum, directDigest(t, j.newHash, data, j.ranges)) {
			t.Errorf("wait %v: wrong signature digest", wait)
		}
		if counter.bytes != size {
			t.Errorf("wait %v: read %d bytes of %d", wait, counter.bytes, size)
		}
	}
}
