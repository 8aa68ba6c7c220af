package sign

import (
	"bytes"
	"errors"
	"hash/crc32"
	"io"
	"sync"
	"sync/atomic"
)

// The document is read as a stream once to be hashed (and, for SignPDFFile, written to the
// output at the same time), in a goroutine alongside the parsing when the input can be read
// at offsets concurrently (an *os.File, a *bytes.Reader: any io.ReaderAt, whose contract
// allows it). SignPDF with another io.Writer reads the document a second time to copy it,
// and checks that it is still what was hashed.

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// inputScan is what the pass over the document learns.
type inputScan struct {
	size int64
	// crc lets a second copy check, cheaply, that it copies the bytes that were hashed
	// (without copyTo: with it, there is no second copy, and no crc).
	crc uint32
	// longestZeros is the longest run of '0' bytes. pdfsign locates its /Contents
	// placeholder as the first run of that many '0's in what it is given: only its update
	// now, but the room is still made longer than any run in the document.
	longestZeros            int64
	hasByteRangePlaceholder bool
}

// copyBuffers hold the buffers of the passes over the document (scanInput, job.write).
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, copyBufferSize); return &b }}

// copyBufferSize: 256 KiB reads are as fast as larger ones.
const copyBufferSize = 256 << 10

var errScanStopped = errors.New("stopped")

// scanInput reads r to its end, feeding h (the signature's SM3) and copyTo (if not nil) on
// the way; it gives up with errScanStopped when *stop is set. A failure to read is an
// IOFailed *Error, as is one to write to copyTo.
func scanInput(r io.Reader, h, copyTo io.Writer, stop *atomic.Bool) (inputScan, error) {
	var sc inputScan
	crc := crc32.New(castagnoli)
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	buf := *bp
	var run int64
	placeholder := []byte(byteRangePlaceholder)
	// The placeholder may straddle two reads: edge holds the end of what was read before.
	const keep = len(byteRangePlaceholder) - 1
	var edge [2 * keep]byte
	kept := 0
	for {
		if stop.Load() {
			return sc, errScanStopped
		}
		n, err := r.Read(buf)
		chunk := buf[:n]
		sc.size += int64(n)
		h.Write(chunk)
		if copyTo == nil {
			crc.Write(chunk)
		} else if n > 0 {
			if _, err := copyTo.Write(chunk); err != nil {
				return sc, errorf(IOFailed, err, "writing the output")
			}
		}
		run = zeroRuns(chunk, run, &sc.longestZeros)
		if !sc.hasByteRangePlaceholder && n > 0 {
			joint := append(edge[:kept], chunk[:min(n, keep)]...)
			sc.hasByteRangePlaceholder = bytes.Contains(joint, placeholder) || bytes.Contains(chunk, placeholder)
			if n >= keep {
				kept = copy(edge[:], chunk[n-keep:])
			} else {
				kept = copy(edge[:], joint[max(0, len(joint)-keep):])
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return sc, errorf(IOFailed, err, "reading the input")
		}
	}
	sc.crc = crc.Sum32()
	return sc, nil
}

// zeroRuns measures the runs of '0' in b, the first continuing a run of length run, raising
// *longest; it returns the length of the run at the end of b.
func zeroRuns(b []byte, run int64, longest *int64) int64 {
	for len(b) > 0 {
		if run == 0 {
			i := bytes.IndexByte(b, '0')
			if i < 0 {
				return 0
			}
			b = b[i:]
		}
		k := 0
		for k < len(b) && b[k] == '0' {
			k++
		}
		run += int64(k)
		*longest = max(*longest, run)
		if k == len(b) {
			return run
		}
		run, b = 0, b[k+1:]
	}
	return run
}

// documentScan is the pass over the document of one sealing: running in a goroutine from
// startScan, or (for an input that is only an io.ReadSeeker, whose one position the parsing
// also moves) run by wait.
type documentScan struct {
	done chan struct{} // closed when the goroutine ends; nil without one
	run  func()
	stop atomic.Bool
	res  inputScan
	err  error
}

// startScan starts the pass over j's document, feeding j.hash and copyTo (if not nil).
func (j *job) startScan(concurrent bool, copyTo io.Writer) *documentScan {
	s := &documentScan{}
	if concurrent {
		s.done = make(chan struct{})
		go func() {
			defer close(s.done)
			s.res, s.err = scanInput(io.NewSectionReader(j.ra, 0, j.size), j.hash, copyTo, &s.stop)
		}()
		return s
	}
	s.run = func() {
		if _, err := j.in.Seek(0, io.SeekStart); err != nil {
			s.err = errorf(IOFailed, err, "seeking the input")
			return
		}
		s.res, s.err = scanInput(io.LimitReader(j.in, j.size), j.hash, copyTo, &s.stop)
	}
	return s
}

// wait returns the pass's result, when it is complete.
func (s *documentScan) wait() (inputScan, error) {
	if s.done != nil {
		<-s.done
	} else if s.run != nil {
		s.run()
		s.run = nil
	}
	return s.res, s.err
}

// cancel stops the pass and waits for it to stop, so that nothing reads the input (or writes
// the output) after SignPDF returns.
func (s *documentScan) cancel() {
	s.stop.Store(true)
	if s.done != nil {
		<-s.done
	}
}
