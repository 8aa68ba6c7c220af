package certstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/eventlog"
	"github.com/eseal/eseal/internal/testpdf"
	"github.com/eseal/eseal/sign"
	"github.com/eseal/eseal/verify"
	bolt "go.etcd.io/bbolt"
)

// fillRevocations writes n revoked certificates of the region root straight into the buckets
// (records as RevokeCertificate writes them, without n SM2 signatures), in batches.
func fillRevocations(b *testing.B, s *Store, issuer string, n int) {
	b.Helper()
	const batch = 50_000
	for start := 0; start < n; start += batch {
		err := s.db.Update(func(tx *bolt.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				serial := fmt.Sprintf("%032x", 1_000_000_000+i)
				key := []byte(issuer + "/" + serial)
				if err := putJSON(tx, bucketCerts, key, CertRecord{DER: []byte{0x30}, Serial: serial, IssuerKeyID: issuer, Role: RoleSealSigner}); err != nil {
					return err
				}
				if err := putJSON(tx, bucketRevocations, key, Revocation{Serial: serial, IssuerKeyID: issuer, Reason: verify.ReasonSuperseded, RevokedAt: testNow}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCertificateStatus1M: the revocation lookup verify makes for a certificate, in a store
// holding one million revocations (target: under 20 µs).
func BenchmarkCertificateStatus1M(b *testing.B) {
	s := initTest(b)
	rec, signer, root := newTestSeal(b, s)
	fillRevocations(b, s, fmt.Sprintf("%x", root.SubjectKeyId), 1_000_000)
	if _, err := s.RevokeCertificate(RevokeRequest{Serial: rec.SignerSerial, Reason: verify.ReasonSuperseded}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		st, err := s.CertificateStatus(signer, root)
		if err != nil || !st.Revoked {
			b.Fatal(err, st)
		}
	}
}

// BenchmarkIssueCRL100k: a CRL of 100,000 revoked certificates, signed and stored.
func BenchmarkIssueCRL100k(b *testing.B) {
	s := initTest(b)
	_, _, root := newTestSeal(b, s)
	fillRevocations(b, s, fmt.Sprintf("%x", root.SubjectKeyId), 100_000)
	b.ResetTimer()
	for b.Loop() {
		rec, err := s.IssueCRL()
		if err != nil || rec.Entries != 100_000 {
			b.Fatal(err, rec.Entries)
		}
		b.ReportMetric(float64(len(rec.DER))/1e6, "MB")
	}
}

// appendBenchEvents appends n issuance events in one transaction (each signed by the root, with an
// outbox entry per webhook), as a burst of issuances leaves them.
func appendBenchEvents(b *testing.B, s *Store, n int) {
	b.Helper()
	_, key, err := s.crlSigner()
	if err != nil {
		b.Fatal(err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		for i := range n {
			rec := IssuanceRecord{ID: fmt.Sprintf("%064x", i), Format: "PDF", SignedAt: testNow, LicenceID: gbLicenceID}
			if err := appendEvent(tx, key, testNow, eventlog.TypeIssuance, rec.ID, rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkEventDelivery: the deliverer draining the bbolt outbox to webhooks over HTTP (a local
// receiver that acknowledges at once), as events/s; each acknowledgement is a committed bbolt
// transaction, so this is the rate at which departments can be kept informed.
func BenchmarkEventDelivery(b *testing.B) {
	const burst = 512
	for _, hooks := range []int{1, 4} {
		b.Run(fmt.Sprintf("webhooks=%d", hooks), func(b *testing.B) {
			s := initTest(b)
			var received atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				received.Add(1)
			}))
			defer srv.Close()
			for i := range hooks {
				if _, err := s.AddWebhook(fmt.Sprintf("%s/hook/%d", srv.URL, i), ""); err != nil {
					b.Fatal(err)
				}
			}
			d := &eventlog.Deliverer{Outbox: s, Client: srv.Client()}
			ctx := context.Background()
			delivered := 0
			var took time.Duration
			for b.Loop() {
				b.StopTimer()
				appendBenchEvents(b, s, burst)
				b.StartTimer()
				start := time.Now()
				for left := burst * hooks; left > 0; {
					n, err := d.Round(ctx)
					if err != nil || n == 0 {
						b.Fatalf("round: %d acknowledged, %v", n, err)
					}
					left -= n
				}
				took += time.Since(start)
				delivered += burst * hooks
			}
			if int(received.Load()) != delivered {
				b.Fatalf("the receiver got %d events, want %d", received.Load(), delivered)
			}
			b.ReportMetric(float64(delivered)/took.Seconds(), "events/s")
		})
	}
}

// BenchmarkVerifyRevocations: a licence verification with the store as its trust anchors and
// revocation source, in a store with no revocations and in a copy of it holding one million more
// (the signer's own certificate not among them). Each iteration verifies once against each, in
// turn, so that the machine's drift falls on both alike; target: the same time within 5%. With a
// verify.Cache, as eseal serve verifies, the store's lookups are a larger part of the time.
func BenchmarkVerifyRevocations(b *testing.B) {
	dirEmpty, dirFull := b.TempDir(), b.TempDir()
	s := openTest(b, dirEmpty, Options{})
	if _, err := s.InitRegion("330100", "杭州市行政审批局"); err != nil {
		b.Fatal(err)
	}
	rec, _, root := newTestSeal(b, s)
	key, sl, chain, err := s.SealSigner(rec.ESID)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	unsigned, signed := filepath.Join(dir, "licence.pdf"), filepath.Join(dir, "signed.pdf")
	out, err := os.Create(unsigned)
	if err != nil {
		b.Fatal(err)
	}
	if err := testpdf.DefaultLicence.Write(out); err != nil {
		b.Fatal(err)
	}
	out.Close()
	sealer := sign.Sealer{Signer: key, Seal: sl.Raw, Chain: [][]byte{chain[0].Raw, chain[1].Raw}}
	if _, err := sign.SignPDFFile(unsigned, signed, sealer, sign.PDFOptions{}); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(signed)
	if err != nil {
		b.Fatal(err)
	}
	s.Close()
	if err := os.CopyFS(dirFull, os.DirFS(dirEmpty)); err != nil {
		b.Fatal(err)
	}
	empty, full := openTest(b, dirEmpty, Options{}), openTest(b, dirFull, Options{})
	fillRevocations(b, full, fmt.Sprintf("%x", root.SubjectKeyId), 1_000_000)
	runtime.GC()

	for _, cached := range []bool{false, true} {
		b.Run(fmt.Sprintf("cached=%v", cached), func(b *testing.B) {
			var took [2]time.Duration
			var caches [2]*verify.Cache
			if cached {
				caches = [2]*verify.Cache{verify.NewCache(), verify.NewCache()}
			}
			for b.Loop() {
				for i, st := range []*Store{empty, full} {
					start := time.Now()
					rep, err := verify.VerifyPDF(context.Background(), bytes.NewReader(data), int64(len(data)), verify.Options{Anchors: st, Revocation: st, Cache: caches[i]})
					took[i] += time.Since(start)
					if err != nil || rep.Indication != verify.TotalPassed {
						b.Fatalf("verify: %v %+v", err, rep)
					}
				}
			}
			n := float64(b.N)
			b.ReportMetric(float64(took[0].Microseconds())/n, "µs/empty")
			b.ReportMetric(float64(took[1].Microseconds())/n, "µs/1M-revoked")
			b.ReportMetric(float64(took[1])/float64(took[0]), "ratio")
		})
	}
}
