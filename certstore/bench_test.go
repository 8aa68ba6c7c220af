package certstore

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/eventlog"
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
