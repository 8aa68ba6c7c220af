package seal

import (
	"bytes"
	"image"
	"image/png"
	"testing"
	"time"
)

// Fuzz seeds are small crafted objects of every version: the fuzzer minimises each new input,
// and with the 17 KB real seals as seeds it spends its whole time doing that.
func fuzzSeeds(f *testing.F) (seals, signatures [][]byte) {
	p := newTestPKI(f)
	var tiny bytes.Buffer
	if err := png.Encode(&tiny, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		f.Fatal(err)
	}
	small := func() *sealSpec {
		s := validSealSpec(f, p)
		s.picture = derSeq(derIA5("PNG"), derOctets(tiny.Bytes()), derInt(40), derInt(40))
		return s
	}
	v4 := small().encode(f, p.makerKey)
	s5 := small()
	s5.header = derSeq(derIA5("ES"), derInt(5), derIA5("V"))
	s5.timeStamp = derExplicit0(derBits([]byte{1, 2, 3}))
	s5.extDatas = derSeq(derSeq(derOID("1.2.3"), derTLV(tagBoolean, []byte{0}), derOctets([]byte("x"))))
	v5 := s5.encode(f, p.makerKey)
	s1 := small()
	s1.layout = 1
	s1.header = derSeq(derIA5("ES"), derInt(1), derIA5("V"))
	s1.v1Property = true
	s1.createDate, s1.validStart, s1.validEnd = derUTC("200101000000Z"), derUTC("200101000000Z"), derUTC("400101000000Z")
	v1 := s1.encode(f, p.makerKey)
	sd := small()
	sd.certListType = derInt(2)
	sd.certList = derSeq(derSeq(derTLV(tagPrintableString, []byte("sm3")), derOctets(make([]byte, 32))))
	digests := sd.encode(f, p.makerKey)
	seals = [][]byte{v4, v5, v1, digests}

	g4 := validSigSpec(f, p, v4)
	g4.extDatas = derExplicit0(derSeq(derSeq(derOID("1.2.3"), derOctets(nil))))
	g5 := validSigSpec(f, p, v5)
	g5.version = derInt(5)
	g5.timeStamp = derExplicit0(derBits([]byte{4, 5}))
	g1 := validSigSpec(f, p, v1)
	g1.layout, g1.version, g1.timeInfo = 1, derInt(1), derBits([]byte("2020-01-25T07:31:56.377Z"))
	signatures = [][]byte{g4.encode(f, p.signerKey), g5.encode(f, p.signerKey), g1.encode(f, p.signerKey),
		readTestObject(f, "signedvalue/ofd-04_Sign_3_SignedValue.dat")}
	return seals, signatures
}

func FuzzParseSeal(f *testing.F) {
	seals, _ := fuzzSeeds(f)
	for _, s := range seals {
		f.Add(s)
	}
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte{0x30, 0x80, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		s, err := ParseSeal(der)
		if err != nil {
			if s != nil {
				t.Fatal("seal and error together")
			}
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		if !bytes.HasPrefix(der, s.Raw) {
			t.Fatal("Raw is not the start of the input")
		}
		if !bytes.Contains(s.Raw, s.RawESealInfo) {
			t.Fatal("RawESealInfo is not inside Raw")
		}
		if s.Version != 1 && s.Version != 4 && s.Version != 5 {
			t.Fatalf("version %d", s.Version)
		}
		// The checks must not panic on anything the parser accepts.
		s.VerifyMakerSignature()
		s.ValidAt(time.Now())
		s.AllowsSigner(s.MakerCert)
		ValidatePicture(s.Picture)
	})
}

func FuzzParseSignature(f *testing.F) {
	_, signatures := fuzzSeeds(f)
	for _, s := range signatures {
		f.Add(s)
	}
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x04})
	f.Fuzz(func(t *testing.T, der []byte) {
		sig, err := ParseSignature(der)
		if err != nil {
			if sig != nil {
				t.Fatal("signature and error together")
			}
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		if !bytes.HasPrefix(der, sig.Raw) || !bytes.Contains(sig.Raw, sig.RawTBS) || sig.Seal == nil {
			t.Fatal("Raw, RawTBS or Seal inconsistent")
		}
		sig.VerifySignatureValue()
		sig.VerifySignerAllowed()
		sig.Seal.VerifyMakerSignature()
	})
}
