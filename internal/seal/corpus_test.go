package seal

import (
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
)

// sealFacts are what a person reads from a seal with an ASN.1 dump, plus what the maker's
// signature check gives.
type sealFacts struct {
	version      int
	vendor       string
	esID, name   string
	typ          int
	certListType int
	certs        int
	create       string // RFC 3339, UTC
	start, end   string
	picType      string
	picW, picH   int
	extensions   int
	timeStamp    string // hex
	makerEnc     smcrypto.SigEncoding
	makerReason  ErrorReason // 0: the maker's signature verifies
	quirks       []string    // substrings that must appear in Quirks
	noQuirks     bool
}

func checkSeal(t *testing.T, s *Seal, want sealFacts) {
	t.Helper()
	if s.Version != want.version || s.Header.Version != want.version {
		t.Errorf("version %d (header %d), want %d", s.Version, s.Header.Version, want.version)
	}
	if s.Header.ID != "ES" || s.Header.VendorID != want.vendor {
		t.Errorf("header %+v, want ES/%s", s.Header, want.vendor)
	}
	if s.ESID != want.esID || s.Name != want.name || s.Type != want.typ {
		t.Errorf("esID %q name %q type %d, want %q %q %d", s.ESID, s.Name, s.Type, want.esID, want.name, want.typ)
	}
	if s.CertListType != want.certListType || len(s.Certs) != want.certs || len(s.CertDigests) != 0 {
		t.Errorf("certListType %d, %d certs, %d digests; want %d, %d, 0", s.CertListType, len(s.Certs), len(s.CertDigests), want.certListType, want.certs)
	}
	for _, d := range []struct {
		field string
		got   time.Time
		want  string
	}{{"createDate", s.CreateDate, want.create}, {"validStart", s.ValidStart, want.start}, {"validEnd", s.ValidEnd, want.end}} {
		if got := d.got.Format(time.RFC3339Nano); got != d.want {
			t.Errorf("%s %s, want %s", d.field, got, d.want)
		}
	}
	if s.Picture.Type != want.picType || s.Picture.WidthMM != want.picW || s.Picture.HeightMM != want.picH || len(s.Picture.Data) == 0 {
		t.Errorf("picture %q %d×%d mm (%d bytes), want %q %d×%d", s.Picture.Type, s.Picture.WidthMM, s.Picture.HeightMM, len(s.Picture.Data), want.picType, want.picW, want.picH)
	}
	if len(s.Extensions) != want.extensions {
		t.Errorf("%d extensions, want %d", len(s.Extensions), want.extensions)
	}
	if got := hex.EncodeToString(s.TimeStamp); got != want.timeStamp {
		t.Errorf("timeStamp %s, want %s", got, want.timeStamp)
	}
	if s.SignAlgorithm != OIDSM2WithSM3 {
		t.Errorf("signAlgorithm %s", s.SignAlgorithm)
	}
	enc, err := s.VerifyMakerSignature()
	if enc != want.makerEnc {
		t.Errorf("maker signature encoding %v, want %v", enc, want.makerEnc)
	}
	if want.makerReason == 0 {
		if err != nil {
			t.Errorf("maker signature: %v", err)
		}
	} else {
		wantReason(t, err, want.makerReason)
	}
	for _, q := range want.quirks {
		if !hasQuirk(s.Quirks, q) {
			t.Errorf("no quirk %q in %q", q, s.Quirks)
		}
	}
	if want.noQuirks && len(s.Quirks) != 0 {
		t.Errorf("unexpected quirks %q", s.Quirks)
	}
}

var (
	ofdrwV4Facts = sealFacts{
		version: 4, vendor: "OFDR&WTest", esID: "51f044b76510434e9bc67a1185c2fba5", name: "OFD R&W 测试用印章",
		typ: 3, certListType: 1, certs: 1,
		create: "2020-04-22T02:09:00Z", start: "2020-04-22T02:09:00Z", end: "2022-04-22T02:09:00Z",
		picType: "PNG", picW: 40, picH: 40, makerEnc: smcrypto.EncodingDER, noQuirks: true,
	}
	dms360V1Facts = sealFacts{
		// GM/T 0031-2014 seal by dms360.cn. Its certList holds an IA5String "1" instead of a
		// certificate, so it allows no signer. Its maker certificate has subject alternative names
		// that strict X.509 parsing rejects; the key is read from the SubjectPublicKeyInfo.
		version: 1, vendor: "dms360.cn", esID: "esID", name: "某某省人力资源和社会测试章",
		typ: 1, certListType: 1, certs: 0,
		create: "2019-12-18T12:53:46Z", start: "2019-12-18T12:53:46Z", end: "2029-12-18T12:53:46Z",
		picType: "PNG", picW: 33, picH: 33, extensions: 1, makerEnc: smcrypto.EncodingDER,
		quirks: []string{"certList[0]: entry with tag 0x16 is neither a certificate nor a digest", "allows no signer"},
	}
)

func TestRealSeals(t *testing.T) {
	tests := []struct {
		file string
		want sealFacts
	}{
		{"seals/ofdrw_UserV1.esl", sealFacts{
			// The maker signed SEQUENCE{SES_SealInfo, cert, signatureAlgorithm} (TestV1SignedInput).
			version: 1, vendor: "OFDR&WTest", esID: "40C8CDD24DEF43388B86E62CCE1D6832", name: "OFDRW测试用印章",
			typ: 1, certListType: 1, certs: 1,
			create: "2020-04-22T02:18:07Z", start: "2020-04-22T02:18:07Z", end: "2022-04-22T02:18:07Z",
			picType: "PNG", picW: 40, picH: 40, makerEnc: smcrypto.EncodingDER, noQuirks: true,
		}},
		{"seals/ofdrw_UserV4.esl", ofdrwV4Facts},
		{"seals/ofdrw_UserV5_ts.esl", sealFacts{
			// GM/T 0031-2025: timeStamp [0] EXPLICIT BIT STRING; ofdrw's unit test put 01 02 03 there.
			version: 5, vendor: "OFDR&WTestV5", esID: "55a4a957189a48f596706fb431e962c5", name: "OFD R&W V5测试用印章",
			typ: 3, certListType: 1, certs: 1,
			create: "2026-04-24T08:53:22Z", start: "2026-04-24T08:53:22Z", end: "2028-04-24T08:53:22Z",
			picType: "PNG", picW: 40, picH: 40, timeStamp: "010203", makerEnc: smcrypto.EncodingDER, noQuirks: true,
		}},
		{"seals/hebeigede_SESealData_v4.der", sealFacts{
			// A vendor's sample seal ("测试单位名称"): the same test certificate is maker and both
			// certList entries. Its maker signature does NOT verify: not over SES_SealInfo as received,
			// nor without extDatas, nor with the explicit FALSEs removed, nor over SEQUENCE{info, cert,
			// alg}, with the standard or an empty signer ID, nor as a bare SM3 digest. It was
			// evidently signed over something else or with another key; the verifier must say so.
			version: 4, vendor: "Vid HebeiGede", esID: "esID130600", name: "测试单位名称 合同专用章",
			typ: 4, certListType: 1, certs: 2,
			create: "2020-10-13T09:45:58Z", start: "2020-10-13T09:45:58Z", end: "2021-04-16T09:45:58Z",
			picType: "GIF", picW: 42, picH: 42, extensions: 3,
			makerEnc: smcrypto.EncodingDER, makerReason: BadMakerSignature,
			quirks: []string{"extDatas[0].critical: FALSE written explicitly"},
		}},
		{"ofd/ofd-20.ofd#Doc_0/Signs/Sign_0/Seal.esl", dms360V1Facts},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			der := readTestObject(t, tt.file)
			s, err := ParseSeal(der)
			if err != nil {
				t.Fatal(err)
			}
			if string(s.Raw) != string(der) {
				t.Error("Raw is not the input")
			}
			checkSeal(t, s, tt.want)
		})
	}
}

// TestV1SignedInput pins down what the GM/T 0031-2014 maker signs, on the real seal: the
// signature verifies over SEQUENCE{SES_SealInfo, cert, signatureAlgorithm} and not over
// SES_SealInfo alone.
func TestV1SignedInput(t *testing.T) {
	s, err := ParseSeal(readTestObject(t, "seals/ofdrw_UserV1.esl"))
	if err != nil {
		t.Fatal(err)
	}
	if string(s.RawSealInfo) == string(s.RawESealInfo) {
		t.Fatal("v1 RawSealInfo should differ from the SES_SealInfo element")
	}
	pub, err := certPublicKey(s.MakerCert, "maker")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := smcrypto.VerifySM2(pub, nil, s.RawESealInfo, s.SignedValue); !errors.Is(err, smcrypto.ErrSignatureMismatch) {
		t.Errorf("over SES_SealInfo alone: %v, want a mismatch", err)
	}
	if _, err := smcrypto.VerifySM2(pub, nil, s.RawSealInfo, s.SignedValue); err != nil {
		t.Errorf("over SEQUENCE{info, cert, alg}: %v", err)
	}
}

// sigFacts are what a person reads from an SES_Signature and what its checks give.
type sigFacts struct {
	version      int
	timeInfo     string
	timeInfoText string
	propertyInfo string
	dataHash     string // hex
	extensions   int
	sigEnc       smcrypto.SigEncoding
	sigReason    ErrorReason // 0: the signature value verifies over TBS_Sign
	allowReason  ErrorReason // 0: the signer is in the seal's certList
	quirks       []string
	noQuirks     bool
	// strictCertFails: the signer certificate is rejected by strict X.509 parsing, so the
	// signature check used the SubjectPublicKeyInfo fallback.
	strictCertFails bool
	seal            sealFacts
}

func TestRealSignatures(t *testing.T) {
	const sigXML = "/Doc_0/Signs/Sign_0/Signature.xml"
	tests := []struct {
		file string
		want sigFacts
	}{
		{"seals/ofdrw_SignedValueV4.dat", sigFacts{
			// ofdrw's unit-test blob: dataHash is 32 zero bytes.
			version: 4, timeInfo: "2020-10-12T11:14:03Z", propertyInfo: sigXML,
			dataHash: "0000000000000000000000000000000000000000000000000000000000000000",
			sigEnc:   smcrypto.EncodingDER, noQuirks: true, seal: ofdrwV4Facts,
		}},
		{"ofd/ofd-02.ofd#Doc_0/Signs/Sign_0/SignedValue.dat", sigFacts{
			// ICBC e-receipt (Suwell SDK). Times have no Z and are Beijing time: validStart
			// 20220221162328 is the certificate's notBefore 2022-02-21 08:23:28 UTC. BIT STRINGs are
			// written as named bit lists: unused bits counted from the trailing zero bits, and the
			// signature's final 0x00 octet dropped; restored, the signature verifies.
			version: 4, timeInfo: "2022-06-28T22:06:41Z", propertyInfo: sigXML,
			dataHash: "14bb4fb502fb1a6d367364562fc171ce3836305b0d09b30e9adf3289edd3e50e",
			sigEnc:   smcrypto.EncodingDER,
			quirks: []string{`time "20220629060641" without zone, read as China Standard Time`,
				"dataHash: BIT STRING declares 1 unused bits", "signature: BIT STRING declares 7 unused bits",
				"signature: 1 trailing zero octet(s) missing"},
			seal: sealFacts{
				version: 4, vendor: "Suwell_SDK", esID: "ICBCReceipt00001", name: "中国工商银行股份有限公司电子回单专用章",
				typ: 1, certListType: 1, certs: 1,
				create: "2022-06-28T22:06:25Z", start: "2022-02-21T08:23:28Z", end: "2027-02-21T08:23:28Z",
				picType: "BMP", picW: 45, picH: 23, makerEnc: smcrypto.EncodingDER,
				quirks: []string{`validStart: time "20220221162328" without zone`},
			},
		}},
		{"ofd/ofd-05.ofd#Doc_0/Signs/Sign_1/SignValue.dat", sigFacts{
			// Bank e-receipt (dianju). The signature value's INTEGERs lack their leading zero byte
			// (non-strict DER); read as unsigned, it verifies. The picture is declared "bmp" but is a
			// GIF. propertyInfo is an identifier, not a path.
			version: 4, timeInfo: "2022-06-30T13:04:49Z", propertyInfo: "ed938c61e6334538bae8c0403cd4098c",
			dataHash: "9964bfc6b1f6112678189d2f1cb6ad2acb31cb60b0833a9bb3a6587a0f5c86c4",
			sigEnc:   smcrypto.EncodingDERNonMinimal, quirks: []string{"signature: not strict DER"},
			seal: sealFacts{
				version: 4, vendor: "dianju", esID: "Vh4poIblza3ThaUpk6vC8b", name: "电子回单专用章",
				typ: 1, certListType: 1, certs: 1,
				create: "2022-04-11T08:32:00Z", start: "2022-04-10T08:48:00Z", end: "2026-04-11T08:48:00Z",
				picType: "bmp", picW: 42, picH: 36, makerEnc: smcrypto.EncodingDER,
				quirks: []string{`type says "bmp" but the data is GIF`},
			},
		}},
		{"ofd/ofd-09.ofd#Doc_0/Signs/Sign_0/SignedValue.dat", sigFacts{
			// Bank receipt (Suwell): both the maker's and the signer's signatures are raw 64-byte r‖s.
			version: 4, timeInfo: "2022-02-21T06:25:31Z", propertyInfo: sigXML,
			dataHash: "72dbc38b84f739e9877cd7e81b17402ec22e71218269a1cad99473916e5501a5",
			sigEnc:   smcrypto.EncodingRaw,
			quirks:   []string{"signature: BIT STRING declares 2 unused bits", `time "20220221142531" without zone`, "signature: raw 64-byte r‖s"},
			seal: sealFacts{
				version: 4, vendor: "suwell_T", esID: "0000000008", name: "客户回单专用章",
				typ: 1, certListType: 1, certs: 1,
				create: "2020-11-22T12:32:02Z", start: "2020-07-03T07:32:53Z", end: "2024-07-03T07:32:53Z",
				picType: "png", picW: 45, picH: 35, makerEnc: smcrypto.EncodingRaw,
				quirks: []string{"without zone", "signedValue: raw 64-byte r‖s"},
			},
		}},
		{"ofd/ofd-12.ofd#Doc_0/Signs/Sign_0/SignedValue.dat", sigFacts{
			// Baiwang e-invoice: the seal name is UTF-8 that was decoded as GBK and re-encoded, then
			// NUL-padded; certListType is 3, yet the list holds a certificate.
			version: 4, timeInfo: "2022-03-18T21:30:45Z", propertyInfo: sigXML,
			dataHash: "fc660ec6473a5d330a636c118c447f0cf1beb8457e4f950c5393112a0f079252",
			sigEnc:   smcrypto.EncodingDER, noQuirks: true,
			seal: sealFacts{
				version: 4, vendor: "GreenPaper", esID: "33111223300011", name: "百万股份",
				typ: 3, certListType: 3, certs: 1,
				create: "2022-03-18T21:30:45Z", start: "2022-03-18T21:30:45Z", end: "2025-03-18T21:30:45Z",
				picType: "png", picW: 35, picH: 22, makerEnc: smcrypto.EncodingDER,
				quirks: []string{"name: trailing NUL padding removed", `repaired from "鐧句竾鑲′唤"`, "certListType 3 is outside 1..2"},
			},
		}},
		{"ofd/ofd-20.ofd#Doc_0/Signs/Sign_0/SignedValue.dat", sigFacts{
			// GM/T 0031-2014 signature by dms360.cn: timeInfo is ISO 8601 text. The signature value is
			// not over TBS_Sign: it is an SM2 signature whose digest e is dataHash itself
			// (dataHash = SM3(Z‖data), CheckMethod 1.2.156.10197.1.401.2), so seal and time are not
			// signed. The seal allows no signer (its certList holds no certificate).
			version: 1, timeInfo: "2020-01-25T07:31:56.377Z", timeInfoText: "2020-01-25T07:31:56.377Z",
			propertyInfo: sigXML, dataHash: "34e69c8d6b72e908db6d202e68b3c8fa89f9c4189f08214768f1dd4d1f6a2e5d",
			sigEnc: smcrypto.EncodingDER, sigReason: SignatureCoversDataHashOnly, allowReason: SignerNotInCertList,
			noQuirks: true, strictCertFails: true, seal: dms360V1Facts,
		}},
		{"signedvalue/ofd-01_Sign_0_SignedValue.dat", sigFacts{
			// Chongqing tax e-invoice: the seal's picture is itself an OFD package.
			version: 4, timeInfo: "2020-10-10T07:11:20Z", propertyInfo: sigXML,
			dataHash: "14859b925039a50fe268d40e4a903da44d64cc56b1eebd0902d45a5a41a134b5",
			sigEnc:   smcrypto.EncodingDER, noQuirks: true,
			seal: sealFacts{
				version: 4, vendor: "GOMAIN", esID: "50011200000399", name: "测试全国统一发票监制章国家税务总局重庆市税务局",
				typ: 3, certListType: 1, certs: 1,
				create: "2020-10-07T16:00:50Z", start: "2020-10-07T16:00:00Z", end: "2023-10-07T16:00:00Z",
				picType: "ofd", picW: 30, picH: 20, extensions: 1, makerEnc: smcrypto.EncodingDER,
				quirks: []string{"critical: FALSE written explicitly"},
			},
		}},
		{"signedvalue/ofd-04_Sign_1_SignedValue.dat", sigFacts{
			// Zibo real-estate registration seal: TBS_Sign carries extDatas [0]; the signer's
			// signature is raw r‖s.
			version: 4, timeInfo: "2020-06-20T09:18:49Z", propertyInfo: "/Doc_0/Signs/Sign_1/Signature.xml",
			dataHash:   "f2e794b1941beca54cd1f007634d0eb0321e68712d4f96171426d408a3ef855f",
			extensions: 1, sigEnc: smcrypto.EncodingRaw, quirks: []string{"signature: raw 64-byte r‖s, not DER"},
			seal: sealFacts{
				version: 4, vendor: "SHANDONG.TONGZHIWEIYE", esID: "37030000001721", name: "淄博市周村区自然资源局(不动产登记专用章)",
				typ: 6, certListType: 1, certs: 1,
				create: "2020-05-26T07:40:03Z", start: "2020-05-26T07:40:03Z", end: "2021-05-25T16:00:00Z",
				picType: "PNG", picW: 42, picH: 42, makerEnc: smcrypto.EncodingDER, noQuirks: true,
			},
		}},
		{"signedvalue/ofd-07_Sign_0_SignValue.dat", sigFacts{
			// Suzhou civil-affairs e-licence seal on a marriage certificate.
			version: 4, timeInfo: "2021-03-31T07:50:23Z", propertyInfo: sigXML,
			dataHash: "339fbe07b49b7513b5dc6a04469671959a0429c4e19c8c3c56343b12339716fd",
			sigEnc:   smcrypto.EncodingDER, noQuirks: true,
			seal: sealFacts{
				version: 4, vendor: "dianju", esID: "32050000011053", name: "苏州市民政局电子证照专用章",
				typ: 4, certListType: 1, certs: 1,
				create: "2020-11-12T18:33:46Z", start: "2020-11-12T05:33:43Z", end: "2021-11-12T05:33:43Z",
				picType: "png", picW: 40, picH: 40, makerEnc: smcrypto.EncodingDER, noQuirks: true,
			},
		}},
		{"signedvalue/ofd-17_Sign_0_SignedValue.dat", sigFacts{
			// Yunnan housing department: the signer certificate has a bad IA5String in its name, so
			// strict X.509 parsing rejects it; the key is read from the SubjectPublicKeyInfo.
			version: 4, timeInfo: "2020-10-10T06:58:41Z", propertyInfo: sigXML,
			dataHash: "8490bf354bc986f97aaca2a9cb6eb08df4c39a2294d7420be3d935c54296634c",
			sigEnc:   smcrypto.EncodingDER, noQuirks: true, strictCertFails: true,
			seal: sealFacts{
				version: 4, vendor: "GOMAIN", esID: "53011200000556", name: "云南省住房和城乡建设厅",
				typ: 15, certListType: 1, certs: 1,
				create: "2019-10-25T08:20:17Z", start: "2019-10-24T16:00:00Z", end: "2020-10-24T16:00:00Z",
				picType: "png", picW: 45, picH: 45, makerEnc: smcrypto.EncodingDER, noQuirks: true,
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			der := readTestObject(t, tt.file)
			sig, err := ParseSignature(der)
			if err != nil {
				t.Fatal(err)
			}
			w := tt.want
			if string(sig.Raw) != string(der) {
				t.Error("Raw is not the input")
			}
			if sig.Version != w.version {
				t.Errorf("version %d, want %d", sig.Version, w.version)
			}
			if got := sig.TimeInfo.Format(time.RFC3339Nano); got != w.timeInfo {
				t.Errorf("timeInfo %s, want %s", got, w.timeInfo)
			}
			if sig.TimeInfoText != w.timeInfoText {
				t.Errorf("timeInfoText %q, want %q", sig.TimeInfoText, w.timeInfoText)
			}
			if sig.PropertyInfo != w.propertyInfo {
				t.Errorf("propertyInfo %q, want %q", sig.PropertyInfo, w.propertyInfo)
			}
			if got := hex.EncodeToString(sig.DataHash); got != w.dataHash {
				t.Errorf("dataHash %s, want %s", got, w.dataHash)
			}
			if len(sig.Extensions) != w.extensions {
				t.Errorf("%d extensions, want %d", len(sig.Extensions), w.extensions)
			}
			if sig.SignatureAlgorithm != OIDSM2WithSM3 {
				t.Errorf("signature algorithm %s", sig.SignatureAlgorithm)
			}
			_, strictErr := smcrypto.ParseCertificate(sig.SignerCert)
			if (strictErr != nil) != w.strictCertFails {
				t.Errorf("strict parse of the signer certificate: %v", strictErr)
			}
			enc, err := sig.VerifySignatureValue()
			if enc != w.sigEnc {
				t.Errorf("signature encoding %v, want %v", enc, w.sigEnc)
			}
			if w.sigReason == 0 {
				if err != nil {
					t.Errorf("signature value: %v", err)
				}
			} else {
				wantReason(t, err, w.sigReason)
			}
			err = sig.VerifySignerAllowed()
			if w.allowReason == 0 {
				if err != nil {
					t.Errorf("signer allowed: %v", err)
				}
			} else {
				wantReason(t, err, w.allowReason)
			}
			for _, q := range w.quirks {
				if !hasQuirk(sig.Quirks, q) {
					t.Errorf("no quirk %q in %q", q, sig.Quirks)
				}
			}
			if w.noQuirks && len(sig.Quirks) != 0 {
				t.Errorf("unexpected quirks %q", sig.Quirks)
			}
			checkSeal(t, sig.Seal, w.seal)
			// Every real file was signed while its seal was valid.
			if err := sig.Seal.ValidAt(sig.TimeInfo); err != nil {
				t.Errorf("seal not valid at signing time: %v", err)
			}
		})
	}
}

// TestStrictCertificateFallback confirms that the dms360 maker certificate really is rejected by
// strict X.509 parsing, so TestRealSeals exercises the SubjectPublicKeyInfo fallback.
func TestStrictCertificateFallback(t *testing.T) {
	s, err := ParseSeal(readTestObject(t, "ofd/ofd-20.ofd#Doc_0/Signs/Sign_0/Seal.esl"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := smcrypto.ParseCertificate(s.MakerCert); err == nil {
		t.Fatal("the dms360 maker certificate now parses strictly; pick another fallback sample")
	}
	if _, err := certPublicKey(s.MakerCert, "maker"); err != nil {
		t.Fatal(err)
	}
}
