package certstore

import (
	"fmt"
	"testing"

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
