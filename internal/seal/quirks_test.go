package seal

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Each leniency: a crafted seal with one deviation parses, the value is read as the producer
// meant, the deviation is listed in Quirks, and the maker's signature still verifies because it
// is checked over the bytes as received.
func TestSealLeniencies(t *testing.T) {
	p := newTestPKI(t)
	gbk, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte("审批专用章"))
	if err != nil {
		t.Fatal(err)
	}
	// An even number of UTF-8 bytes, so GBK decoding loses nothing (as in the real ofd-12 file).
	doubled, err := simplifiedchinese.GB18030.NewDecoder().Bytes([]byte("审批专用"))
	if err != nil {
		t.Fatal(err)
	}
	pngPic := testPicture(t)
	tests := []struct {
		name  string
		mod   func(s *sealSpec)
		check func(t *testing.T, s *Seal)
		quirk string // "" means: no quirk at all
	}{
		{"strict seal", func(s *sealSpec) {}, func(t *testing.T, s *Seal) {
			if s.Version != 4 || s.Type != 4 || s.ESID != "11010500000001" {
				t.Errorf("%+v", s)
			}
		}, ""},
		{"non-minimal length", func(s *sealSpec) { s.esID = append([]byte{tagIA5String, 0x81, 14}, "11010500000001"...) },
			func(t *testing.T, s *Seal) { wantString(t, s.ESID, "11010500000001") }, "eSealInfo[1]: non-minimal length encoding"},
		{"INTEGER without leading zero", func(s *sealSpec) { s.propType = []byte{tagInteger, 1, 0x90} },
			func(t *testing.T, s *Seal) { wantInt(t, s.Type, 0x90) }, "type: INTEGER without its leading zero byte"},
		{"INTEGER with redundant zero", func(s *sealSpec) { s.propType = []byte{tagInteger, 2, 0, 4} },
			func(t *testing.T, s *Seal) { wantInt(t, s.Type, 4) }, "type: INTEGER with redundant leading bytes"},
		{"fractional seconds", func(s *sealSpec) { s.createDate = derGT("20200101000000.123Z") },
			func(t *testing.T, s *Seal) { wantTime(t, s.CreateDate, "2020-01-01T00:00:00.123Z") }, ""},
		{"UTC offset", func(s *sealSpec) { s.createDate = derGT("20200101080000+0800") },
			func(t *testing.T, s *Seal) { wantTime(t, s.CreateDate, "2020-01-01T00:00:00Z") }, "createDate: time with a UTC offset"},
		{"no zone", func(s *sealSpec) { s.createDate = derGT("20200101080000") },
			func(t *testing.T, s *Seal) { wantTime(t, s.CreateDate, "2020-01-01T00:00:00Z") }, "read as China Standard Time"},
		{"no seconds", func(s *sealSpec) { s.createDate = derGT("202001010000Z") },
			func(t *testing.T, s *Seal) { wantTime(t, s.CreateDate, "2020-01-01T00:00:00Z") }, "createDate: time without seconds"},
		{"no minutes", func(s *sealSpec) { s.createDate = derGT("2020010100Z") },
			func(t *testing.T, s *Seal) { wantTime(t, s.CreateDate, "2020-01-01T00:00:00Z") }, "createDate: time without minutes"},
		{"UTCTime in version 4", func(s *sealSpec) { s.validEnd = derUTC("400101000000Z") },
			func(t *testing.T, s *Seal) { wantTime(t, s.ValidEnd, "2040-01-01T00:00:00Z") }, "UTCTime where the standard says GeneralizedTime"},
		{"UTCTime of the 1990s", func(s *sealSpec) { s.createDate = derUTC("991231235959Z") },
			func(t *testing.T, s *Seal) { wantTime(t, s.CreateDate, "1999-12-31T23:59:59Z") }, "UTCTime where"},
		{"name as BMPString", func(s *sealSpec) { s.name = derTLV(tagBMPString, []byte{0x5b, 0xa1, 0x62, 0x79}) },
			func(t *testing.T, s *Seal) { wantString(t, s.Name, "审批") }, "name: BMPString where the standard says UTF8String"},
		{"name in GB18030", func(s *sealSpec) { s.name = derUTF8(string(gbk)) },
			func(t *testing.T, s *Seal) { wantString(t, s.Name, "审批专用章") }, "name: text is not UTF-8; decoded as GB18030"},
		{"name undecodable", func(s *sealSpec) { s.name = derUTF8("\xff\xff") },
			func(t *testing.T, s *Seal) { wantString(t, s.Name, "\uFFFD") }, "neither UTF-8 nor GB18030"},
		{"name double-encoded", func(s *sealSpec) { s.name = derUTF8(string(doubled)) },
			func(t *testing.T, s *Seal) { wantString(t, s.Name, "审批专用") }, "mis-decoded as GBK and re-encoded"},
		{"name NUL-padded", func(s *sealSpec) { s.name = derUTF8("审批专用章\x00\x00\x00") },
			func(t *testing.T, s *Seal) { wantString(t, s.Name, "审批专用章") }, "name: trailing NUL padding removed"},
		{"esID as PrintableString", func(s *sealSpec) { s.esID = derTLV(tagPrintableString, []byte("11010500000001")) },
			func(t *testing.T, s *Seal) { wantString(t, s.ESID, "11010500000001") }, "esID: PrintableString where the standard says IA5String"},
		{"esID as VisibleString", func(s *sealSpec) { s.esID = derTLV(tagVisibleString, []byte("11010500000001")) },
			func(t *testing.T, s *Seal) { wantString(t, s.ESID, "11010500000001") }, "esID: VisibleString where the standard says IA5String"},
		{"vendor as TeletexString", func(s *sealSpec) { s.header = derSeq(derIA5("ES"), derInt(4), derTLV(tagT61String, []byte("V"))) },
			func(t *testing.T, s *Seal) { wantString(t, s.Header.VendorID, "V") }, "Vid: TeletexString where the standard says IA5String"},
		{"esID with non-ASCII", func(s *sealSpec) { s.esID = derIA5("章11") },
			func(t *testing.T, s *Seal) { wantString(t, s.ESID, "章11") }, "esID: non-ASCII bytes"},
		{"header ID not ES", func(s *sealSpec) { s.header = derSeq(derIA5("SE"), derInt(4), derIA5("V")) },
			func(t *testing.T, s *Seal) { wantString(t, s.Header.ID, "SE") }, `header.ID is "SE"`},
		{"certificate not wrapped", func(s *sealSpec) { s.certList = derSeq(p.signerCert) },
			func(t *testing.T, s *Seal) { wantAllowed(t, s, p.signerCert) }, "certList[0]: certificate written as a SEQUENCE"},
		{"certListType 1 holding digests", func(s *sealSpec) {
			s.certList = derSeq(derSeq(derTLV(tagPrintableString, []byte("sha256")), derOctets(sha256Of(p.signerCert))))
		}, func(t *testing.T, s *Seal) { wantAllowed(t, s, p.signerCert) }, "certListType 1 (certificates) but the list holds digests"},
		{"certListType 2 holding certificates", func(s *sealSpec) { s.certListType = derInt(2) },
			func(t *testing.T, s *Seal) { wantAllowed(t, s, p.signerCert) }, "certListType 2 (digests) but the list holds certificates"},
		{"empty certList", func(s *sealSpec) { s.certList = derSeq() },
			func(t *testing.T, s *Seal) {
				if ok, err := s.AllowsSigner(p.signerCert); ok || err != nil {
					t.Errorf("AllowsSigner = %v, %v", ok, err)
				}
			}, "the seal allows no signer"},
		{"validEnd before validStart", func(s *sealSpec) { s.validEnd = derGT("20100101000000Z") },
			func(t *testing.T, s *Seal) { wantReason(t, s.ValidAt(s.ValidStart), NotValidAtTime) }, "validEnd 2010-01-01T00:00:00Z is before validStart"},
		{"picture type wrong", func(s *sealSpec) {
			s.picture = derSeq(derIA5("GIF"), derOctets(pngPic.Data), derInt(40), derInt(40))
		}, func(t *testing.T, s *Seal) { wantString(t, s.Picture.Type, "GIF") }, `picture: type says "GIF" but the data is PNG`},
		{"extension TRUE as 0x01", func(s *sealSpec) {
			s.extDatas = derSeq(derSeq(derOID("1.2.156.1"), derTLV(tagBoolean, []byte{1}), derOctets([]byte("v"))))
		}, func(t *testing.T, s *Seal) {
			if len(s.Extensions) != 1 || !s.Extensions[0].Critical || s.Extensions[0].ID != "1.2.156.1" || string(s.Extensions[0].Value) != "v" {
				t.Errorf("%+v", s.Extensions)
			}
		}, "critical: BOOLEAN TRUE written as 0x01"},
		{"extensions in DER", func(s *sealSpec) {
			s.extDatas = derSeq(derSeq(derOID("2.5.29.99"), derOctets([]byte("a"))), derSeq(derOID("0.9.1"), derTLV(tagBoolean, []byte{0xff}), derOctets(nil)))
		}, func(t *testing.T, s *Seal) {
			if len(s.Extensions) != 2 || s.Extensions[0].Critical || s.Extensions[0].ID != "2.5.29.99" || !s.Extensions[1].Critical || s.Extensions[1].ID != "0.9.1" {
				t.Errorf("%+v", s.Extensions)
			}
		}, ""},
		{"version 5 with timestamp", func(s *sealSpec) {
			s.header = derSeq(derIA5("ES"), derInt(5), derIA5("V"))
			s.timeStamp = derExplicit0(derBits([]byte("token")))
		}, func(t *testing.T, s *Seal) { wantInt(t, s.Version, 5); wantString(t, string(s.TimeStamp), "token") }, ""},
		{"version 5 without timestamp", func(s *sealSpec) { s.header = derSeq(derIA5("ES"), derInt(5), derIA5("V")) },
			func(t *testing.T, s *Seal) { wantInt(t, s.Version, 5) }, ""},
		{"timestamp IMPLICIT", func(s *sealSpec) {
			s.header = derSeq(derIA5("ES"), derInt(5), derIA5("V"))
			s.timeStamp = derTLV(tagContext0Prim, append([]byte{0}, "token"...))
		}, func(t *testing.T, s *Seal) { wantString(t, string(s.TimeStamp), "token") }, "timeStamp: [0] tagged IMPLICIT"},
		{"timestamp in OCTET STRING", func(s *sealSpec) {
			s.header = derSeq(derIA5("ES"), derInt(5), derIA5("V"))
			s.timeStamp = derExplicit0(derOctets([]byte("token")))
		}, func(t *testing.T, s *Seal) { wantString(t, string(s.TimeStamp), "token") }, "timeStamp: OCTET STRING where the standard says BIT STRING"},
		{"timestamp token bare", func(s *sealSpec) {
			s.header = derSeq(derIA5("ES"), derInt(5), derIA5("V"))
			s.timeStamp = derExplicit0(derSeq(derInt(1)))
		}, func(t *testing.T, s *Seal) { wantString(t, hex.EncodeToString(s.TimeStamp), "3003020101") }, "timestamp token written directly"},
		{"timestamp in version 4", func(s *sealSpec) { s.timeStamp = derExplicit0(derBits([]byte("t"))) },
			func(t *testing.T, s *Seal) { wantInt(t, s.Version, 4) }, "timeStamp (a version 5 field) in a version 4 seal"},
		{"version 1 property layout in version 4", func(s *sealSpec) { s.v1Property = true },
			func(t *testing.T, s *Seal) { wantInt(t, s.CertListType, 1); wantAllowed(t, s, p.signerCert) }, "version 1 layout (no certListType) in a version 4 seal"},
		{"maker certificate not wrapped", func(s *sealSpec) { s.makerCert = p.makerCert },
			func(t *testing.T, s *Seal) { wantString(t, string(s.MakerCert), string(p.makerCert)) }, "cert: certificate written as a SEQUENCE"},
		{"BIT STRING with unused bits", func(s *sealSpec) {
			info := s.sealInfo()
			sig, err := smcrypto.SignSM2(p.makerKey, nil, info)
			if err != nil {
				t.Fatal(err)
			}
			s.signedBits = derTLV(tagBitString, append([]byte{3}, sig...))
		}, func(t *testing.T, s *Seal) {}, "signedValue: BIT STRING declares 3 unused bits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := validSealSpec(t, p)
			tt.mod(spec)
			der := spec.encode(t, p.makerKey)
			s, err := ParseSeal(der)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
			if tt.quirk == "" && len(s.Quirks) != 0 {
				t.Errorf("unexpected quirks %q", s.Quirks)
			}
			if tt.quirk != "" && !hasQuirk(s.Quirks, tt.quirk) {
				t.Errorf("no quirk %q in %q", tt.quirk, s.Quirks)
			}
			if _, err := s.VerifyMakerSignature(); err != nil {
				t.Errorf("maker signature over the bytes as received: %v", err)
			}
			if !bytes.Equal(s.RawSealInfo, spec.sealInfo()) {
				t.Error("RawSealInfo is not SES_SealInfo as written")
			}
		})
	}
}

func TestTrailingBytes(t *testing.T) {
	der := append(readTestObject(t, "seals/ofdrw_UserV4.esl"), 0, 0)
	s, err := ParseSeal(der)
	if err != nil {
		t.Fatal(err)
	}
	if !hasQuirk(s.Quirks, "SESeal: 2 bytes after the structure ignored") || len(s.Raw) != len(der)-2 {
		t.Errorf("quirks %q, raw %d bytes", s.Quirks, len(s.Raw))
	}
}

// Version 1 seals made here: the maker signs SEQUENCE{SES_SealInfo, cert, signatureAlgorithm}.
func TestV1SealLeniencies(t *testing.T) {
	p := newTestPKI(t)
	v1 := func(s *sealSpec) {
		s.layout = 1
		s.header = derSeq(derIA5("ES"), derInt(1), derIA5("V"))
		s.v1Property = true
		s.createDate = derUTC("200101000000Z")
		s.validStart = derUTC("200101000000Z")
		s.validEnd = derUTC("400101000000Z")
	}
	tests := []struct {
		name  string
		mod   func(s *sealSpec)
		quirk string
	}{
		{"strict", func(s *sealSpec) {}, ""},
		{"GeneralizedTime in version 1", func(s *sealSpec) { s.validEnd = derGT("20400101000000Z") }, "GeneralizedTime where the standard says UTCTime"},
		{"version 4 property layout", func(s *sealSpec) { s.v1Property = false }, "version 4 layout (with certListType) in a version 1 seal"},
		{"header version 4", func(s *sealSpec) { s.header = derSeq(derIA5("ES"), derInt(4), derIA5("V")) }, "header version 4 in a 2-element (GM/T 0031-2014) seal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := validSealSpec(t, p)
			v1(spec)
			tt.mod(spec)
			s, err := ParseSeal(spec.encode(t, p.makerKey))
			if err != nil {
				t.Fatal(err)
			}
			if s.Version != 1 || s.ESID != "11010500000001" || len(s.Certs) != 1 {
				t.Errorf("version %d esID %q certs %d", s.Version, s.ESID, len(s.Certs))
			}
			wantTime(t, s.ValidEnd, "2040-01-01T00:00:00Z")
			if tt.quirk == "" && len(s.Quirks) != 0 {
				t.Errorf("unexpected quirks %q", s.Quirks)
			}
			if tt.quirk != "" && !hasQuirk(s.Quirks, tt.quirk) {
				t.Errorf("no quirk %q in %q", tt.quirk, s.Quirks)
			}
			if !bytes.Equal(s.RawSealInfo, derSeq(spec.sealInfo(), spec.makerCert, spec.alg)) {
				t.Error("RawSealInfo is not SEQUENCE{SES_SealInfo, cert, signatureAlgorithm}")
			}
			if _, err := s.VerifyMakerSignature(); err != nil {
				t.Errorf("maker signature: %v", err)
			}
		})
	}
}

func TestSignatureLeniencies(t *testing.T) {
	p := newTestPKI(t)
	sealDER := validSealSpec(t, p).encode(t, p.makerKey)
	v5 := validSealSpec(t, p)
	v5.header = derSeq(derIA5("ES"), derInt(5), derIA5("V"))
	v5DER := v5.encode(t, p.makerKey)
	tests := []struct {
		name  string
		mod   func(s *sigSpec)
		check func(t *testing.T, sig *Signature)
		quirk string
	}{
		{"strict", func(s *sigSpec) {}, func(t *testing.T, sig *Signature) {
			wantInt(t, sig.Version, 4)
			wantTime(t, sig.TimeInfo, "2024-01-01T12:00:00Z")
			wantString(t, sig.PropertyInfo, "/Doc_0/Signs/Sign_0/Signature.xml")
		}, ""},
		{"version 5 with timestamp and extensions", func(s *sigSpec) {
			s.version = derInt(5)
			s.eseal = v5DER
			s.extDatas = derExplicit0(derSeq(derSeq(derOID("1.2.3.4"), derOctets([]byte("x")))))
			s.timeStamp = derExplicit0(derBits([]byte("tst")))
		}, func(t *testing.T, sig *Signature) {
			wantInt(t, sig.Version, 5)
			wantString(t, string(sig.TimeStamp), "tst")
			if len(sig.Extensions) != 1 || sig.Extensions[0].ID != "1.2.3.4" {
				t.Errorf("%+v", sig.Extensions)
			}
		}, ""},
		{"extDatas without [0]", func(s *sigSpec) { s.extDatas = derSeq(derSeq(derOID("1.2.3.4"), derOctets(nil))) },
			func(t *testing.T, sig *Signature) { wantInt(t, len(sig.Extensions), 1) }, "ExtensionDatas without its [0] tag"},
		{"seal in OCTET STRING", func(s *sigSpec) { s.eseal = derOctets(sealDER) },
			func(t *testing.T, sig *Signature) { wantString(t, string(sig.Seal.Raw), string(sealDER)) }, "seal wrapped in an OCTET STRING"},
		{"version 5 signature with version 4 seal", func(s *sigSpec) { s.version = derInt(5) },
			func(t *testing.T, sig *Signature) { wantInt(t, sig.Seal.Version, 4) }, "version 5 signature carries a version 4 seal"},
		{"dataHash missing trailing zeros", func(s *sigSpec) { s.dataHash = derBits(bytes.Repeat([]byte{7}, 30)) },
			func(t *testing.T, sig *Signature) {
				wantString(t, hex.EncodeToString(sig.DataHash), strings.Repeat("07", 30)+"0000")
			}, "dataHash: 30 bytes, 2 short of an SM3 digest"},
		{"dataHash of SHA-1 size kept", func(s *sigSpec) { s.dataHash = derBits(make([]byte, 20)) },
			func(t *testing.T, sig *Signature) { wantInt(t, len(sig.DataHash), 20) }, ""},
		{"timeInfo without zone", func(s *sigSpec) { s.timeInfo = derGT("20240101200000") },
			func(t *testing.T, sig *Signature) { wantTime(t, sig.TimeInfo, "2024-01-01T12:00:00Z") }, "read as China Standard Time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := validSigSpec(t, p, sealDER)
			tt.mod(spec)
			sig, err := ParseSignature(spec.encode(t, p.signerKey))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, sig)
			if tt.quirk == "" && len(sig.Quirks) != 0 {
				t.Errorf("unexpected quirks %q", sig.Quirks)
			}
			if tt.quirk != "" && !hasQuirk(sig.Quirks, tt.quirk) {
				t.Errorf("no quirk %q in %q", tt.quirk, sig.Quirks)
			}
			if _, err := sig.VerifySignatureValue(); err != nil {
				t.Errorf("signature value: %v", err)
			}
			if err := sig.VerifySignerAllowed(); err != nil {
				t.Error(err)
			}
		})
	}
}

// Version 1 signatures: the signing time is "text" in a BIT STRING, written in many ways.
func TestV1SignatureTimeInfo(t *testing.T) {
	p := newTestPKI(t)
	v1 := validSealSpec(t, p)
	v1.layout = 1
	v1.header = derSeq(derIA5("ES"), derInt(1), derIA5("V"))
	v1.v1Property = true
	v1.createDate, v1.validStart, v1.validEnd = derUTC("200101000000Z"), derUTC("200101000000Z"), derUTC("400101000000Z")
	sealDER := v1.encode(t, p.makerKey)
	const noon = "2024-01-01T12:00:00Z"
	tests := []struct {
		name     string
		timeInfo []byte
		want     string // RFC 3339; "" for the zero time
		text     string
		quirk    string
	}{
		{"DER UTCTime inside (ofdrw)", derBits(derUTC("240101120000Z")), noon, "240101120000Z", ""},
		{"DER GeneralizedTime inside", derBits(derGT("20240101120000Z")), noon, "20240101120000Z", ""},
		{"ASN.1 digits", derBits([]byte("20240101120000Z")), noon, "20240101120000Z", ""},
		{"UTCTime digits", derBits([]byte("240101120000Z")), noon, "240101120000Z", ""},
		{"ISO 8601 (dms360)", derBits([]byte("2024-01-01T12:00:00.377Z")), "2024-01-01T12:00:00.377Z", "2024-01-01T12:00:00.377Z", ""},
		{"ISO 8601 with offset", derBits([]byte("2024-01-01T20:00:00+08:00")), noon, "2024-01-01T20:00:00+08:00", ""},
		{"local time text", derBits([]byte("2024-01-01 20:00:00")), noon, "2024-01-01 20:00:00", "read as China Standard Time"},
		{"NUL-padded", derBits([]byte("20240101120000Z\x00\x00")), noon, "20240101120000Z", ""},
		{"digits without zone", derBits([]byte("20240101200000")), noon, "20240101200000", "read as China Standard Time"},
		{"bad digits", derBits([]byte("20241301200000Z")), "", "20241301200000Z", "not understood"},
		{"unreadable", derBits([]byte("yesterday")), "", "yesterday", `signing time text "yesterday" not understood`},
		{"empty", derBits(nil), "", "", "not understood"},
		{"GeneralizedTime, not BIT STRING", derGT("20240101120000Z"), noon, "20240101120000Z", "a GeneralizedTime where GM/T 0031-2014 says BIT STRING"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := validSigSpec(t, p, sealDER)
			spec.layout = 1
			spec.version = derInt(1)
			spec.timeInfo = tt.timeInfo
			sig, err := ParseSignature(spec.encode(t, p.signerKey))
			if err != nil {
				t.Fatal(err)
			}
			if sig.Version != 1 || sig.Seal.Version != 1 {
				t.Errorf("versions %d/%d", sig.Version, sig.Seal.Version)
			}
			if tt.want == "" {
				if !sig.TimeInfo.IsZero() {
					t.Errorf("time %s, want zero", sig.TimeInfo)
				}
			} else {
				wantTime(t, sig.TimeInfo, tt.want)
			}
			wantString(t, sig.TimeInfoText, tt.text)
			if tt.quirk == "" && len(sig.Quirks) != 0 {
				t.Errorf("unexpected quirks %q", sig.Quirks)
			}
			if tt.quirk != "" && !hasQuirk(sig.Quirks, tt.quirk) {
				t.Errorf("no quirk %q in %q", tt.quirk, sig.Quirks)
			}
			if _, err := sig.VerifySignatureValue(); err != nil {
				t.Errorf("signature over TBS_Sign: %v", err)
			}
			if err := sig.VerifySignerAllowed(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestV1SignatureLeniencies(t *testing.T) {
	p := newTestPKI(t)
	sealDER := validSealSpec(t, p).encode(t, p.makerKey) // a version 4 seal in a version 1 signature
	spec := validSigSpec(t, p, sealDER)
	spec.layout = 1
	spec.version = derInt(4)
	spec.timeInfo = derBits([]byte("20240101120000Z"))
	tbs := derSeq(spec.version, spec.eseal, spec.timeInfo, spec.dataHash, spec.propertyInfo, spec.cert, spec.alg,
		derExplicit0(derSeq(derSeq(derOID("1.2.3"), derOctets(nil)))))
	value, err := smcrypto.SignSM2(p.signerKey, nil, tbs)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := ParseSignature(derSeq(tbs, derBits(value)))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"TBS_Sign version 4 in a 2-element", "extDatas after signatureAlgorithm", "version 1 signature carries a version 4 seal"} {
		if !hasQuirk(sig.Quirks, q) {
			t.Errorf("no quirk %q in %q", q, sig.Quirks)
		}
	}
	if len(sig.Extensions) != 1 {
		t.Errorf("%d extensions", len(sig.Extensions))
	}
	if _, err := sig.VerifySignatureValue(); err != nil {
		t.Error(err)
	}
}

func TestRestoreTrimmedSignature(t *testing.T) {
	q := &quirks{}
	full := append([]byte{0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01}, 0x00)
	if got := restoreTrimmedSignature(full[:len(full)-1], q, "v"); !bytes.Equal(got, full) || len(q.list) != 1 {
		t.Errorf("restored %x, quirks %q", got, q.list)
	}
	q = &quirks{}
	for _, v := range [][]byte{full, full[:2], {0x30, 0x40, 1}, make([]byte, 64), {0x30, 0x81, 0x80}} {
		if got := restoreTrimmedSignature(v, q, "v"); !bytes.Equal(got, v) {
			t.Errorf("%x changed to %x", v, got)
		}
	}
	if len(q.list) != 0 {
		t.Errorf("quirks %q", q.list)
	}
}

func wantString(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func wantInt(t *testing.T, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("got %d, want %d", got, want)
	}
}

func wantTime(t *testing.T, got time.Time, want string) {
	t.Helper()
	if s := got.Format(time.RFC3339Nano); s != want {
		t.Errorf("time %s, want %s", s, want)
	}
}

func wantAllowed(t *testing.T, s *Seal, cert []byte) {
	t.Helper()
	if ok, err := s.AllowsSigner(cert); !ok || err != nil {
		t.Errorf("AllowsSigner = %v, %v", ok, err)
	}
}
