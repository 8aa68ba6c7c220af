package smcrypto

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// seedCMS adds every real-world SignedData in testdata/cms, padded as in a PDF, in streaming
// BER, and the inputs that make emmansun's pkcs7.Parse panic.
func seedCMS(f *testing.F) {
	files, _ := filepath.Glob("testdata/cms/*.p7s")
	if len(files) == 0 {
		f.Fatal("no seed files in testdata/cms")
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(append(append([]byte{}, data...), make([]byte, 64)...))
		f.Add(toBER(f, data, 100))
	}
	f.Add([]byte{0x5f, 0x4d})
	f.Add([]byte{0x30, 0x82, 0x06})
}

func FuzzParseSignedData(f *testing.F) {
	seedCMS(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		containOwnPanics = false // a panic in our own parser must fail the fuzz run
		defer func() { containOwnPanics = true }()
		sd, err := ParseSignedData(data)
		if err != nil {
			if sd != nil {
				t.Fatal("non-nil result with an error")
			}
			return
		}
		if len(sd.RawCertificates) != len(sd.CertificateErrors) {
			t.Fatal("RawCertificates and CertificateErrors out of step")
		}
		for _, si := range sd.Signers {
			if si.SignedAttrsDER != nil {
				if si.SignedAttrsDER[0] != 0x31 {
					t.Fatal("SignedAttrsDER is not a SET")
				}
				if _, err := parseAttributes(si.SignedAttrsDER); err != nil {
					t.Fatalf("SignedAttrsDER does not re-parse: %v", err)
				}
			}
			// Verification of arbitrary input must not panic either (it recovers library panics).
			cert := sd.SignerCertificate(si)
			if cert != nil && si.SignedAttrsDER != nil {
				_, _ = si.VerifySignature(cert)
			}
		}
		// A successful parse is stable under trailing zero padding.
		if _, err := ParseSignedData(append(append([]byte{}, data...), 0, 0)); err != nil && !bytes.HasSuffix(data, []byte{0}) {
			t.Fatalf("padding broke a parse that succeeded: %v", err)
		}
	})
}

func FuzzParseCertificate(f *testing.F) {
	files, _ := filepath.Glob("testdata/cms/*.p7s")
	for _, name := range files {
		data, _ := os.ReadFile(name)
		if sd, err := ParseSignedData(data); err == nil {
			for _, raw := range sd.RawCertificates {
				f.Add(raw)
			}
		}
	}
	f.Add(readTestdata(f, "pdf-17-cert.der")) // negative serial
	f.Add([]byte{0x30, 0x82, 0x06})
	f.Fuzz(func(t *testing.T, der []byte) {
		cert, err := ParseCertificate(der)
		if (cert == nil) == (err == nil) {
			t.Fatalf("cert %v with error %v", cert != nil, err)
		}
		if cert != nil && !bytes.Equal(cert.Raw, der) {
			t.Fatal("Raw is not the input")
		}
	})
}

func FuzzParsePKIXPublicKey(f *testing.F) {
	p := newTestPKI(f)
	f.Add(p.leaf.RawSubjectPublicKeyInfo)
	f.Add([]byte{0x30, 0x03, 0x30, 0x01})
	f.Fuzz(func(t *testing.T, der []byte) {
		pub, err := ParsePKIXPublicKey(der)
		if (pub == nil) == (err == nil) {
			t.Fatalf("key %v with error %v", pub != nil, err)
		}
	})
}
