package seal

import (
	"crypto"
	"encoding/asn1"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/eseal/eseal/internal/smcrypto"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

var oidSM2WithSM3 = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501}

// DefaultSealType is the seal type BuildSeal writes when NewSealOptions.Type is zero: 4, a
// special-purpose seal (专用章). GB/T 38540 leaves the codes to seal-management rules and issuers
// differ (real seals use 1 for bank receipt seals, 3 for tax, 6 for real-estate registration, 15
// for a provincial department); 4 is what the government special-purpose seals in the corpus
// carry (the Suzhou civil-affairs e-licence seal 电子证照专用章, the Zhejiang e-invoice platform
// seal, a contract seal 合同专用章), and an approval-special seal (审批专用章) is of that kind.
const DefaultSealType = 4

// DefaultVendorID is the header Vid BuildSeal writes when NewSealOptions.VendorID is empty.
const DefaultVendorID = "eseal"

// NewSealOptions describes a version 4 seal for BuildSeal.
type NewSealOptions struct {
	// ESID is the seal code: a 6-digit administrative division code and 8 digits (see NewESID).
	ESID string
	// Type is the seal type code; zero means DefaultSealType.
	Type int
	// Name is the seal's name (UTF-8), as engraved.
	Name string
	// VendorID is the header Vid; empty means DefaultVendorID. ASCII only (IA5String).
	VendorID string
	// SignerCerts are the DER certificates of the signers allowed to use the seal (at least one);
	// they are written as a certificate list (certListType 1).
	SignerCerts [][]byte
	// CreateDate zero means now; ValidStart zero means CreateDate. ValidEnd is required. All are
	// written in UTC with whole seconds.
	CreateDate, ValidStart, ValidEnd time.Time
	// Picture is the seal image (see GeneratePicture, ValidatePicture).
	Picture Picture
	// Extensions are written as extDatas when not empty.
	Extensions []Extension
}

// BuildSeal makes a GB/T 38540-2020 (version 4) SESeal signed by the seal maker: makerKey (an
// SM2 key) signs the DER of SES_SealInfo with SM2-with-SM3 (1.2.156.10197.1.501) and the
// standard signer ID; the signature is stored as the BIT STRING of its DER encoding. The result
// is parsed back from its own encoding and its signature verified before it is returned.
func BuildSeal(opts NewSealOptions, makerCert []byte, makerKey crypto.Signer) (*Seal, error) {
	if err := ValidateESID(opts.ESID); err != nil {
		return nil, err
	}
	if opts.Type == 0 {
		opts.Type = DefaultSealType
	}
	if opts.Type < 0 {
		return nil, errorf(InvalidOptions, "seal type %d is negative", opts.Type)
	}
	if opts.Name == "" || !utf8.ValidString(opts.Name) {
		return nil, errorf(InvalidOptions, "seal name must be non-empty UTF-8")
	}
	if opts.VendorID == "" {
		opts.VendorID = DefaultVendorID
	}
	if !isPrintableASCII(opts.VendorID) {
		return nil, errorf(InvalidOptions, "vendor ID %q must be printable ASCII", opts.VendorID)
	}
	if len(opts.SignerCerts) == 0 {
		return nil, errorf(InvalidOptions, "no signer certificate: a seal must allow at least one signer")
	}
	for i, c := range opts.SignerCerts {
		if _, err := smcrypto.ParseCertificate(c); err != nil {
			return nil, wrapErr(InvalidOptions, err, "signer certificate %d", i+1)
		}
	}
	if opts.CreateDate.IsZero() {
		opts.CreateDate = time.Now()
	}
	if opts.ValidStart.IsZero() {
		opts.ValidStart = opts.CreateDate
	}
	opts.CreateDate = opts.CreateDate.UTC().Truncate(time.Second)
	opts.ValidStart = opts.ValidStart.UTC().Truncate(time.Second)
	opts.ValidEnd = opts.ValidEnd.UTC().Truncate(time.Second)
	if opts.ValidEnd.IsZero() || !opts.ValidEnd.After(opts.ValidStart) {
		return nil, errorf(InvalidOptions, "validEnd must be after validStart")
	}
	for _, t := range []time.Time{opts.CreateDate, opts.ValidStart, opts.ValidEnd} {
		if t.Year() < 1950 || t.Year() > 9999 {
			return nil, errorf(InvalidOptions, "date %s out of range", t.Format(time.RFC3339))
		}
	}
	if err := ValidatePicture(opts.Picture); err != nil {
		return nil, err
	}
	if !isPrintableASCII(opts.Picture.Type) {
		return nil, errorf(InvalidOptions, "picture type %q must be printable ASCII", opts.Picture.Type)
	}
	extOIDs := make([]asn1.ObjectIdentifier, len(opts.Extensions))
	for i, e := range opts.Extensions {
		oid, err := parseOID(e.ID)
		if err != nil {
			return nil, wrapErr(InvalidOptions, err, "extension ID %q", e.ID)
		}
		extOIDs[i] = oid
	}

	cert, err := smcrypto.ParseCertificate(makerCert)
	if err != nil {
		return nil, wrapErr(InvalidOptions, err, "maker certificate")
	}
	if makerKey == nil || !smcrypto.IsSM2PublicKey(makerKey.Public()) {
		return nil, errorf(InvalidOptions, "maker key is not an SM2 key")
	}
	if pk, ok := makerKey.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pk.Equal(cert.PublicKey) {
		return nil, errorf(InvalidOptions, "maker key does not match the maker certificate")
	}

	sealInfo, err := encodeSealInfo(4, opts, extOIDs)
	if err != nil {
		return nil, wrapErr(InvalidOptions, err, "encoding SES_SealInfo")
	}
	sig, err := smcrypto.SignSM2(makerKey, nil, sealInfo)
	if err != nil {
		return nil, wrapErr(InvalidOptions, err, "maker signature")
	}
	der, err := encodeSESeal(sealInfo, makerCert, oidSM2WithSM3, sig)
	if err != nil {
		return nil, wrapErr(InvalidOptions, err, "encoding SESeal")
	}
	s, err := ParseSeal(der)
	if err != nil {
		return nil, fmt.Errorf("seal: BuildSeal produced a seal it cannot parse: %w", err)
	}
	if _, err := s.VerifyMakerSignatureWithCert(cert); err != nil {
		return nil, fmt.Errorf("seal: BuildSeal produced a seal that does not verify: %w", err)
	}
	return s, nil
}

// encodeSealInfo writes SES_SealInfo (version 4/5 layout) in DER; extOIDs are the parsed IDs of
// o.Extensions.
func encodeSealInfo(version int64, o NewSealOptions, extOIDs []asn1.ObjectIdentifier) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // header
			b.AddASN1(cbasn1.IA5String, func(b *cryptobyte.Builder) { b.AddBytes([]byte("ES")) })
			b.AddASN1Int64(version)
			b.AddASN1(cbasn1.IA5String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(o.VendorID)) })
		})
		b.AddASN1(cbasn1.IA5String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(o.ESID)) })
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // property
			b.AddASN1Int64(int64(o.Type))
			b.AddASN1(cbasn1.UTF8String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(o.Name)) })
			b.AddASN1Int64(CertListCertificates)
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				for _, c := range o.SignerCerts {
					b.AddASN1OctetString(c)
				}
			})
			b.AddASN1GeneralizedTime(o.CreateDate)
			b.AddASN1GeneralizedTime(o.ValidStart)
			b.AddASN1GeneralizedTime(o.ValidEnd)
		})
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // picture
			b.AddASN1(cbasn1.IA5String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(o.Picture.Type)) })
			b.AddASN1OctetString(o.Picture.Data)
			b.AddASN1Int64(int64(o.Picture.WidthMM))
			b.AddASN1Int64(int64(o.Picture.HeightMM))
		})
		if len(o.Extensions) > 0 {
			addExtensions(b, o.Extensions, extOIDs)
		}
	})
	return b.Bytes()
}

// encodeSESeal writes SESeal { eSealInfo, cert, signAlgID, signedValue } (version 4).
func encodeSESeal(sealInfo, makerCert []byte, alg asn1.ObjectIdentifier, sig []byte) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(sealInfo)
		b.AddASN1OctetString(makerCert)
		b.AddASN1ObjectIdentifier(alg)
		b.AddASN1BitString(sig)
	})
	return b.Bytes()
}

// parseOID parses a dotted OID string.
func parseOID(s string) (asn1.ObjectIdentifier, error) {
	var oid asn1.ObjectIdentifier
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			n, err := strconv.ParseUint(s[start:i], 10, 31)
			if err != nil {
				return nil, fmt.Errorf("bad OID %q", s)
			}
			oid = append(oid, int(n))
			start = i + 1
		}
	}
	if len(oid) < 2 || oid[0] > 2 || oid[0] < 2 && oid[1] >= 40 {
		return nil, fmt.Errorf("bad OID %q", s)
	}
	return oid, nil
}

func isPrintableASCII(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// provinceCodes are the first two digits of GB/T 2260 administrative division codes.
var provinceCodes = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true,
	// 99 is no GB/T 2260 code: eseal reserves it for demo and test regions, so that their seals
	// can never be mistaken for a real region's.
	DemoProvinceCode: true,
}

// DemoProvinceCode starts the region code of demo and test regions (e.g. 999999).
const DemoProvinceCode = "99"

// NewESID makes a government seal code: the 6-digit administrative division code (GB/T 2260)
// of the issuing region followed by an 8-digit sequence number, 14 ASCII digits in all.
func NewESID(regionCode string, seq uint32) (string, error) {
	if err := validateRegionCode(regionCode); err != nil {
		return "", err
	}
	if seq > 99_999_999 {
		return "", errorf(InvalidOptions, "sequence number %d has more than 8 digits", seq)
	}
	return fmt.Sprintf("%s%08d", regionCode, seq), nil
}

// ValidateESID checks the form BuildSeal requires of an esID: 14 ASCII digits, the first six a
// plausible administrative division code.
func ValidateESID(esID string) error {
	if len(esID) != 14 || !allDigits(esID) {
		return errorf(InvalidOptions, "esID %q must be 14 digits (6-digit region code + 8 digits)", esID)
	}
	return validateRegionCode(esID[:6])
}

// ValidateRegionCode checks a region code: 6 digits, starting with a GB/T 2260 province code (or
// DemoProvinceCode).
func ValidateRegionCode(code string) error { return validateRegionCode(code) }

func validateRegionCode(code string) error {
	if len(code) != 6 || !allDigits(code) {
		return errorf(InvalidOptions, "region code %q must be 6 digits (GB/T 2260)", code)
	}
	if !provinceCodes[code[:2]] {
		return errorf(InvalidOptions, "region code %q does not start with a GB/T 2260 province code (or %s for a demo region)", code, DemoProvinceCode)
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
