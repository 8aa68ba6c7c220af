package certstore

import (
	"bytes"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/verify"
)

// TestOCSPResponder: the root answers for its certificates: good, then revoked with its reason
// from the revocation's own transaction on (the same pre-signed bytes each time), unknown for a
// serial it never issued, and not at all for another issuer's; a response is signed anew once
// half its validity is gone.
func TestOCSPResponder(t *testing.T) {
	s := initTest(t)
	rec, signer, root := newTestSeal(t, s)
	ask := func(issuer *smcrypto.Certificate, serial *big.Int, alg smcrypto.OID) (*smcrypto.OCSPResponse, []byte, error) {
		t.Helper()
		id, err := smcrypto.NewOCSPCertID(issuer, serial, alg)
		if err != nil {
			t.Fatal(err)
		}
		der, this, next, err := s.OCSPResponse(&smcrypto.OCSPRequest{CertID: id})
		if err != nil {
			return nil, nil, err
		}
		resp, err := smcrypto.ParseOCSPResponse(der)
		if err != nil {
			t.Fatal(err)
		}
		if err := resp.CheckSignatureFrom(root); err != nil {
			t.Errorf("signature: %v", err)
		}
		if !resp.Single.ThisUpdate.Equal(this) || !resp.Single.NextUpdate.Equal(next) || resp.Single.CertID.HashAlgorithm != alg {
			t.Errorf("response %+v, this %v next %v", resp.Single, this, next)
		}
		return resp, der, nil
	}
	for _, alg := range []smcrypto.OID{smcrypto.OIDSHA1, smcrypto.OIDSHA256, smcrypto.OIDSM3} {
		if resp, _, err := ask(root, signer.SerialNumber, alg); err != nil || resp.Single.Status != smcrypto.OCSPGood {
			t.Fatalf("%s: %+v %v", alg, resp, err)
		}
	}
	if _, err := s.RevokeCertificate(RevokeRequest{Serial: rec.SignerSerial, Reason: verify.ReasonKeyCompromise}); err != nil {
		t.Fatal(err)
	}
	revoked, first, err := ask(root, signer.SerialNumber, smcrypto.OIDSHA1)
	if err != nil || revoked.Single.Status != smcrypto.OCSPRevoked || revoked.Single.Reason != int(verify.ReasonKeyCompromise) || !revoked.Single.RevokedAt.Equal(testNow) {
		t.Fatalf("revoked: %+v %v", revoked, err)
	}
	if _, again, _ := ask(root, signer.SerialNumber, smcrypto.OIDSHA1); !bytes.Equal(again, first) {
		t.Error("the revoked response is not the one signed in advance")
	}
	if sm3, _, err := ask(root, signer.SerialNumber, smcrypto.OIDSM3); err != nil || sm3.Single.Status != smcrypto.OCSPRevoked {
		t.Errorf("an SM3 CertID after the revocation (its good response was dropped): %+v %v", sm3, err)
	}
	if unknown, _, err := ask(root, big.NewInt(0x1234), smcrypto.OIDSHA1); err != nil || unknown.Single.Status != smcrypto.OCSPUnknown {
		t.Errorf("an unknown serial: %+v %v", unknown, err)
	}
	if _, _, err := ask(signer, signer.SerialNumber, smcrypto.OIDSHA1); !errors.Is(err, ErrNotOurIssuer) {
		t.Errorf("another issuer: %v", err)
	}
	s.now = func() time.Time { return testNow.Add(OCSPValidity/2 + time.Second) }
	later, refreshed, err := ask(root, signer.SerialNumber, smcrypto.OIDSHA1)
	if err != nil || bytes.Equal(refreshed, first) || !later.Single.ThisUpdate.Equal(testNow.Add(OCSPValidity/2+time.Second)) || later.Single.Status != smcrypto.OCSPRevoked {
		t.Errorf("after half its validity: %+v %v", later, err)
	}
}
