package verify

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"sync"

	"github.com/eseal/eseal/internal/smcrypto"
)

// The signed bytes of every signature are hashed in one pass over the input, in file order,
// together with the document's SHA-256.
//
// Signatures that start with the same bytes share their hashing: a PDF signature signs
// [0, a) and [b, end), and the [0, a) of every signature is a prefix of the file. For each
// digest algorithm, one "trunk" state follows the file from its start; a signature's state is
// a copy of the trunk at the end of its first range, and goes on with its other ranges alone.
// n signatures over a file of size s then cost about s plus their tails (the bytes after their
// own /Contents, usually a few kilobytes), not n·s.
//
// The work is bounded: the bytes all states hash together (the document's SHA-256 aside) may
// not exceed workBudget(size). Signatures are planned in document order; one that would take
// the work past the budget is not hashed at all, and its integrity is INDETERMINATE with the
// reason, instead of minutes of CPU spent on a hostile file.

// helpHashMin is the document size from which a verification always takes a helper (idle.go),
// for the document's SHA-256. Below it, the helper pays only when it has SM2 verifications to
// take over, as a verification without a Cache has (a seal maker's signature and certificate
// paths); with a Cache, which knows them already, waking another core costs more than the
// little work left (measured on a one-page licence: 10% slower with the helper). A variable
// for the tests, which compare reports with and without the helper.
var helpHashMin int64 = 1 << 20

// streamChunk is how much of the input is read at a time: the pass holds one such buffer,
// recycled between verifications, whatever the size of the input.
const streamChunk = 256 << 10

var chunks = sync.Pool{New: func() any { b := make([]byte, streamChunk); return &b }}

// workBudgetFactor and workBudgetExtra make the hashing budget: the bytes hashed for all the
// signatures of an input of size s together may not exceed workBudgetFactor·s + workBudgetExtra.
// Every real document stays far below: a signature costs its own tail beyond the shared
// prefix, and a document with signatures in two digest algorithms costs about 2·s.
const (
	workBudgetFactor = 4
	workBudgetExtra  = 64 << 20
)

func workBudget(size int64) int64 { return workBudgetFactor*size + workBudgetExtra }

// hashJob is the digest of one signature's signed bytes under one algorithm.
type hashJob struct {
	ranges [][2]int64
	// alg names a plain digest whose state may be copied from the trunk; "" for a state that
	// starts otherwise (an SM2 message hash begins with Z(ID, key)).
	alg     smcrypto.OID
	newHash func() hash.Hash

	h   hash.Hash
	sum []byte // set when the pass is done
	// overBudget: the job was not run because the work budget was spent.
	overBudget bool

	shared  bool  // starts as a copy of its algorithm's trunk at the end of ranges[0]
	ordered bool  // ranges ascending and disjoint: fed during the pass; else read on its own
	cost    int64 // bytes its own state hashes
}

// hashGroup is the jobs of one signature: all run or none (a signature checked against only
// some of its candidate digests would be judged wrongly).
type hashGroup []*hashJob

// newDigestJob is a job for a plain digest algorithm; the error is that of an unsupported one.
func newDigestJob(alg smcrypto.OID, ranges [][2]int64) (*hashJob, error) {
	if _, err := smcrypto.NewDigest(alg); err != nil {
		return nil, err
	}
	return &hashJob{ranges: ranges, alg: alg, newHash: func() hash.Hash { h, _ := smcrypto.NewDigest(alg); return h }}, nil
}

// hashPlan is the hashing of one input: its jobs, by signature, and the work they cost.
type hashPlan struct {
	size   int64
	groups []hashGroup
	docSum []byte // the document's SHA-256, when the pass ran
	budget int64
	work   int64 // bytes planned, within budget
	hashed int64 // bytes the signatures' states were fed (the document's SHA-256 aside)

	// The pass's state, until finish.
	bufs     [2]*[]byte
	doc      hash.Hash // the document's SHA-256
	side     *helper   // the helper, once it has taken the document's hash over
	inFlight int       // chunks given to the helper and not yet acknowledged
	complete bool      // the pass read the whole input
}

// trunk follows the file from byte 0 for one digest algorithm, up to end.
type trunk struct {
	alg  smcrypto.OID
	h    hash.Hash
	end  int64
	jobs []*hashJob // shared jobs, by the end of their first range
}

// plan decides which groups run and how: in document order, each group whose cost (its own
// bytes, and what it extends its trunks by) fits in what remains of the budget.
func (p *hashPlan) plan() map[smcrypto.OID]*trunk {
	p.budget = workBudget(p.size)
	trunks := map[smcrypto.OID]*trunk{}
	for _, g := range p.groups {
		extend := map[smcrypto.OID]int64{}
		var cost int64
		for _, j := range g {
			j.ordered = ascending(j.ranges)
			_, marshals := j.newHash().(encoding.BinaryMarshaler)
			j.shared = j.ordered && j.alg != "" && marshals && len(j.ranges) > 0 && j.ranges[0][0] == 0
			j.cost = 0
			for i, r := range j.ranges {
				if i > 0 || !j.shared {
					j.cost += r[1] - r[0]
				}
			}
			cost += j.cost
			if j.shared {
				end := j.ranges[0][1]
				if t := trunks[j.alg]; t != nil {
					end = max(end, t.end)
				}
				extend[j.alg] = max(extend[j.alg], end)
			}
		}
		for alg, end := range extend {
			if t := trunks[alg]; t != nil {
				cost += end - t.end
			} else {
				cost += end
			}
		}
		if p.work+cost > p.budget {
			for _, j := range g {
				j.overBudget = true
			}
			continue
		}
		p.work += cost
		for _, j := range g {
			if !j.shared {
				continue
			}
			t := trunks[j.alg]
			if t == nil {
				t = &trunk{alg: j.alg, h: j.newHash()}
				trunks[j.alg] = t
			}
			t.end = max(t.end, j.ranges[0][1])
			t.jobs = append(t.jobs, j)
		}
	}
	for _, t := range trunks {
		slices.SortStableFunc(t.jobs, func(a, b *hashJob) int { return cmp.Compare(a.ranges[0][1], b.ranges[0][1]) })
	}
	return trunks
}

func ascending(rs [][2]int64) bool {
	for i, r := range rs {
		if r[0] > r[1] || i > 0 && r[0] < rs[i-1][1] {
			return false
		}
	}
	return true
}

// errInputEnds is a reader that gives fewer bytes than the input's size.
type errInputEnds struct{ at, want int64 }

func (e *errInputEnds) Error() string {
	return fmt.Sprintf("the input ends at byte %d, before byte %d", e.at, e.want)
}

// run hashes the jobs whose ranges are out of order on their own, then makes the pass over r.
// An error is a failure to read the input (or ctx's): nothing the pass computed is then used.
//
// With a helper (idle.go), the document's SHA-256 of each chunk is computed by the helper (after
// its other work) while this goroutine goes on with the signatures' bytes, and with the checks
// once the pass is over: finish waits for it.
func (p *hashPlan) run(ctx context.Context, r io.ReaderAt, help *helper) error {
	trunks := p.plan()
	// Two buffers, used in turn: while the helper hashes one chunk, the next is read into the
	// other; a buffer is read into again only once the helper is done with it (finish puts them
	// back).
	p.bufs = [2]*[]byte{chunks.Get().(*[]byte), chunks.Get().(*[]byte)}
	p.doc = sha256.New()

	var inPass []*hashJob
	for _, g := range p.groups {
		for _, j := range g {
			switch {
			case j.overBudget:
			case j.ordered:
				if !j.shared {
					j.h = j.newHash()
				}
				inPass = append(inPass, j)
			default:
				if err := p.hashApart(ctx, r, j); err != nil {
					return err
				}
			}
		}
	}
	next := map[*trunk]int{} // the trunk's next job to copy the state for
	for i, off := 0, int64(0); off < p.size; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		buf := *p.bufs[i%2]
		for ; p.inFlight > 1; p.inFlight-- {
			<-p.side.done // the helper is done with buf
		}
		n := min(int64(len(buf)), p.size-off)
		chunk, err := readFull(r, buf[:n], off)
		if err != nil {
			return err
		}
		end := off + n
		for _, t := range trunks {
			pos := off
			for i := next[t]; i < len(t.jobs) && t.jobs[i].ranges[0][1] <= end; i++ {
				j := t.jobs[i]
				cut := j.ranges[0][1]
				p.feed(t.h, chunk[pos-off:cut-off])
				pos = cut
				j.h = copyState(t.h, j.newHash())
				next[t] = i + 1
			}
			if stop := min(end, t.end); stop > pos {
				p.feed(t.h, chunk[pos-off:stop-off])
			}
		}
		for _, j := range inPass {
			for i, rg := range j.ranges {
				if i == 0 && j.shared {
					continue
				}
				if s, e := max(rg[0], off), min(rg[1], end); s < e {
					p.feed(j.h, chunk[s-off:e-off])
				}
			}
		}
		if p.side == nil && help != nil {
			p.side, help.doc = help, p.doc // the helper takes the document's hash from the start
		}
		if p.side != nil {
			p.side.chunks <- chunk
			p.inFlight++
		} else {
			p.doc.Write(chunk)
		}
		off = end
	}
	help.endPass()
	p.complete = true
	for _, g := range p.groups {
		for _, j := range g {
			if j.h != nil {
				j.sum = j.h.Sum(nil)
			}
		}
	}
	return nil
}

// hashApart hashes a job whose ranges are not in file order with reads of its own.
func (p *hashPlan) hashApart(ctx context.Context, r io.ReaderAt, j *hashJob) error {
	buf := *p.bufs[0]
	j.h = j.newHash()
	for _, rg := range j.ranges {
		for off := rg[0]; off < rg[1]; {
			if err := ctx.Err(); err != nil {
				return err
			}
			n := min(int64(len(buf)), rg[1]-off)
			chunk, err := readFull(r, buf[:n], off)
			if err != nil {
				return err
			}
			p.feed(j.h, chunk)
			off += n
		}
	}
	return nil
}

// finish waits for the helper to be done with the pass's chunks and puts the buffers back;
// then, if the pass was complete, docSum is the document's SHA-256. It may be called again.
func (p *hashPlan) finish() {
	for ; p.inFlight > 0; p.inFlight-- {
		<-p.side.done
	}
	if p.complete && p.docSum == nil {
		p.docSum = p.doc.Sum(nil)
	}
	for i, b := range p.bufs {
		if b != nil {
			chunks.Put(b)
			p.bufs[i] = nil
		}
	}
}

func (p *hashPlan) feed(h hash.Hash, b []byte) {
	h.Write(b)
	p.hashed += int64(len(b))
}

// copyState returns fresh, a new state of the same algorithm as h, set to h's state.
func copyState(h, fresh hash.Hash) hash.Hash {
	state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err == nil {
		err = fresh.(encoding.BinaryUnmarshaler).UnmarshalBinary(state)
	}
	if err != nil {
		// Both are the same implementation (plan checked it marshals): a failure is a bug.
		panic(fmt.Sprintf("verify: copying a %T state: %v", h, err))
	}
	return fresh
}

// readFull reads len(b) bytes at off.
func readFull(r io.ReaderAt, b []byte, off int64) ([]byte, error) {
	got, err := r.ReadAt(b, off)
	if got == len(b) {
		return b, nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = &errInputEnds{at: off + int64(got), want: off + int64(len(b))}
	}
	return nil, err
}
