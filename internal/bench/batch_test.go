package bench

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/eseal/eseal/certstore"
	"github.com/eseal/eseal/internal/batch"
	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/internal/testpdf"
	"github.com/eseal/eseal/sign"
)

const batchLicences = 1000

var (
	batchOnce sync.Once
	batchDir  string
	batchErr  error
)

// batchFolder writes (once per process) a folder of 1,000 one-page licences with distinct
// numbers and holders.
func batchFolder(tb testing.TB) string {
	tb.Helper()
	batchOnce.Do(func() {
		getFixture(tb, "licence") // makes fixtureDir
		batchDir = filepath.Join(fixtureDir, "batch")
		if batchErr = os.MkdirAll(batchDir, 0o700); batchErr != nil {
			return
		}
		for i := range batchLicences {
			l := testpdf.DefaultLicence
			l.Number = fmt.Sprintf("330100-2026-%06d", i+1)
			l.Holder = fmt.Sprintf("Hangzhou Example Trading No. %d Co., Ltd.", i+1)
			if batchErr = os.WriteFile(filepath.Join(batchDir, fmt.Sprintf("licence-%04d.pdf", i+1)), l.Bytes(), 0o644); batchErr != nil {
				return
			}
		}
	})
	if batchErr != nil {
		tb.Fatal(batchErr)
	}
	return batchDir
}

// BenchmarkSignBatch seals a folder of 1,000 one-page licences as `eseal sign` does, with the
// region TSA's timestamp and an issuance record per licence, two ways in each iteration:
//
//	single  one licence after another, each recorded on its own (`eseal sign --in FILE`)
//	batch   the folder on GOMAXPROCS workers, records committed in groups, the journal and
//	        partial files of a resumable output folder (`eseal sign --in DIR`)
//	batch4x the same on 4×GOMAXPROCS workers (`--jobs`): the disk syncs, not the processors,
//	        bound signing, and more documents under way make larger groups of records
//
// It reports both rates in licences/s and batch/single, measured in the same run.
func BenchmarkSignBatch(b *testing.B) {
	in := batchFolder(b)
	names, err := filepath.Glob(filepath.Join(in, "*.pdf"))
	if err != nil || len(names) != batchLicences {
		b.Fatalf("%d licences: %v", len(names), err)
	}
	store, err := certstore.Open(filepath.Join(b.TempDir(), "data"), certstore.Options{Passphrase: []byte("bench")})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	if _, err := store.InitRegion("330100", "杭州市行政审批局"); err != nil {
		b.Fatal(err)
	}
	rec, err := store.NewSeal(certstore.SealRequest{Name: "杭州市行政审批局行政审批专用章"})
	if err != nil {
		b.Fatal(err)
	}
	key, sl, chain, err := store.SealSigner(rec.ESID)
	if err != nil {
		b.Fatal(err)
	}
	sealer := sign.Sealer{Signer: key, Seal: sl.Raw, Chain: [][]byte{chain[0].Raw, chain[1].Raw}}
	// The two ways seal the same licences within the same second: a different location keeps
	// their digests (the registry's keys) apart.
	opts := sign.PDFOptions{TimeStamp: store.TimestampSignature, Location: "杭州市（批量）"}
	singleOpts := sign.PDFOptions{TimeStamp: store.TimestampSignature, Location: "杭州市（单件）"}
	serial := smcrypto.SerialHex(chain[0].SerialNumber)
	record := func(res *sign.Result, name string) certstore.IssuanceRecord {
		return certstore.IssuanceRecord{ID: hex.EncodeToString(res.Digest), Format: "PDF", Document: filepath.Base(name),
			ESID: sl.ESID, SignerSerial: serial, SignedAt: res.SigningTime}
	}

	// The two ways take turns on chunks of 100 licences, so that both see the same machine (other
	// processes' load changes over seconds).
	var single time.Duration
	var multi [2]time.Duration
	for b.Loop() {
		out := b.TempDir()
		type pending struct {
			entry batch.Entry
			rec   certstore.IssuanceRecord
		}
		var signOne [2]func(context.Context, string) error
		for i := range signOne {
			folder, err := batch.OpenFolder(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer folder.Close()
			recorder := batch.NewRecorder(func(group []pending) error {
				entries := make([]batch.Entry, len(group))
				recs := make([]certstore.IssuanceRecord, len(group))
				for i, p := range group {
					entries[i], recs[i] = p.entry, p.rec
				}
				if err := folder.Pending(entries); err != nil {
					return err
				}
				return store.RecordIssuances(recs)
			}, 0)
			defer recorder.Close()
			opts := opts
			opts.Location += strconv.Itoa(i)
			signOne[i] = func(_ context.Context, name string) error {
				base := filepath.Base(name)
				if _, err := folder.Prepare(base, func(string) (bool, error) { return false, nil }); err != nil {
					return err
				}
				partial := folder.PartialPath(base)
				res, err := sign.SignPDFFile(name, partial, sealer, opts)
				if err != nil {
					return err
				}
				p := pending{batch.Entry{File: base, ID: hex.EncodeToString(res.Digest), Size: res.Size}, record(res, name)}
				if err := recorder.Record(p); err != nil {
					return err
				}
				return folder.Finish(p.entry)
			}
		}
		for chunk := range slices.Chunk(names, 100) {
			start := time.Now()
			for _, name := range chunk {
				res, err := sign.SignPDFFile(name, filepath.Join(out, filepath.Base(name)), sealer, singleOpts)
				if err != nil {
					b.Fatal(err)
				}
				if err := store.RecordIssuance(record(res, name)); err != nil {
					b.Fatal(err)
				}
			}
			single += time.Since(start)

			for i, workers := range []int{runtime.GOMAXPROCS(0), 4 * runtime.GOMAXPROCS(0)} {
				start = time.Now()
				errs := batch.Sign(context.Background(), chunk, signOne[i], batch.Options{Workers: workers})
				multi[i] += time.Since(start)
				for _, err := range errs {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		}
	}
	n := float64(b.N * batchLicences)
	singleRate, batchRate, batch4Rate := n/single.Seconds(), n/multi[0].Seconds(), n/multi[1].Seconds()
	b.ReportMetric(singleRate, "single-licences/s")
	b.ReportMetric(batchRate, "batch-licences/s")
	b.ReportMetric(batchRate/singleRate, "batch/single")
	b.ReportMetric(batch4Rate, "batch4x-licences/s")
	b.ReportMetric(batch4Rate/singleRate, "batch4x/single")
}
