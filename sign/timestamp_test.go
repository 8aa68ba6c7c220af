package sign

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/eseal/eseal/internal/smcrypto"
	"github.com/eseal/eseal/verify"
)

// tsaStamp is a TimeStamp callback: an RFC 3161 token over the signature value by the test
// PKI's TSA, at the signing time.
func tsaStamp(t *testing.T) func([]byte) ([]byte, error) {
	p := getPKI(t).p
	return func(v []byte) ([]byte, error) {
		d := smcrypto.SM3(v)
		return smcrypto.BuildTimestampToken(smcrypto.TimestampOptions{ImprintAlgorithm: smcrypto.OIDSM3, Imprint: d[:], Serial: big.NewInt(7),
			Policy: "2.25.197043117386125227281236785226102347914", GenTime: fixedNow}, p.TSAKey, []*smcrypto.Certificate{p.TSA, p.Root})
	}
}

// TestSignatureTimestamps: with TimeStamp, every kind of signature carries a trusted time
// (PDF CMS timeStampToken, OFD and detached SES_Signature timeStamp, detached CMS), which the
// verifier takes as the proof of existence.
func TestSignatureTimestamps(t *testing.T) {
	s := newSealer(t, "杭州市行政审批局行政审批专用章", "33010000000003")
	stamp := tsaStamp(t)
	reports := map[string]*verify.Report{}

	data, _, _ := sealFile(t, "testdata/licence.pdf", s, PDFOptions{Now: fixedClock, TimeStamp: stamp})
	reports["PDF"] = verifyData(t, data)
	sealed, _ := signOFDBytes(t, mustRead(t, "testdata/licence.ofd"), s, OFDOptions{TimeStamp: stamp})
	reports["OFD"] = verifyOFDData(t, sealed)
	for name, f := range map[string]DetachedFormat{"SES_Signature": DetachedSES, "CMS": DetachedCMS} {
		res, err := SignDetached(bytes.NewReader(material), s, DetachedOptions{Format: f, Now: fixedClock, TimeStamp: stamp})
		if err != nil {
			t.Fatal(err)
		}
		reports[name] = verifyDetached(t, material, res.Signature)
	}
	for name, rep := range reports {
		sr := rep.Signatures[0]
		if rep.Indication != verify.TotalPassed || sr.ProofOfExistence == nil || !sr.ProofOfExistence.Time.Equal(fixedNow) || checkStatus(sr, verify.TimestampCheck) != verify.CheckPassed {
			t.Errorf("%s: %s, proof %+v, timestamp check %s", name, rep.Indication, sr.ProofOfExistence, checkStatus(sr, verify.TimestampCheck))
		}
	}
}
