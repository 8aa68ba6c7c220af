package seal

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// OIDs of the signature algorithms seals use.
const (
	// OIDSM2WithSM3 is SM2-with-SM3 (GM/T 0006), the algorithm GB/T 38540 requires.
	OIDSM2WithSM3 = string(smcrypto.OIDSM2WithSM3)
	// OIDSM2Sign is the SM2 signature algorithm OID (sm2-1); some producers write it for
	// SM2-with-SM3, and it is accepted as such.
	OIDSM2Sign = string(smcrypto.OIDSM2Sign)
)

// Certificate list types of SES_ESPropertyInfo (version 4 and 5).
const (
	CertListCertificates = 1 // certList holds DER certificates
	CertListDigests      = 2 // certList holds certificate digests
)

// Seal is a parsed SESeal of any supported version.
type Seal struct {
	// Version is the format version the seal was read as: 1 (GM/T 0031-2014), 4 (GB/T 38540-2020)
	// or 5 (GM/T 0031-2025).
	Version int
	// Raw is the SESeal element as received.
	Raw []byte
	// RawSealInfo is what the seal maker signed. Versions 4 and 5: the SES_SealInfo element as
	// received. Version 1: DER SEQUENCE { SES_SealInfo, cert, signatureAlgorithm } made of those
	// three elements as received (GM/T 0031-2014 §6.1; the real v1 seals verify over exactly this).
	RawSealInfo []byte
	// RawESealInfo is the SES_SealInfo element as received (the same bytes as RawSealInfo for
	// versions 4 and 5).
	RawESealInfo []byte

	Header Header
	ESID   string
	// Type is the seal type code (property.type). Codes vary between issuers; see DefaultSealType.
	Type int
	Name string
	// CertListType is property.certListType as written (1 certificates, 2 digests; 1 for
	// version 1 seals, whose certList is always certificates). Real seals carry other values;
	// the list is then read by its content, with a quirk.
	CertListType int
	// Certs are the DER certificates of the signers allowed to use the seal.
	Certs [][]byte
	// CertDigests are the allowed signers' certificate digests (certListType 2).
	CertDigests []CertDigest

	CreateDate, ValidStart, ValidEnd time.Time
	Picture                          Picture
	Extensions                       []Extension

	// MakerCert is the seal maker's certificate (DER, as received).
	MakerCert []byte
	// SignAlgorithm is the maker's signature algorithm OID, dotted.
	SignAlgorithm string
	// SignedValue is the maker's signature value: DER SEQUENCE{r, s} normally, raw r‖s from some
	// producers.
	SignedValue []byte
	// TimeStamp is the version 5 seal's optional timestamp (the bytes of its BIT STRING).
	TimeStamp []byte

	// Quirks lists every leniency applied while reading, in plain words. Empty for a seal that
	// follows the standard and DER exactly.
	Quirks []string
}

// Header is SES_Header.
type Header struct {
	ID       string // "ES"
	Version  int
	VendorID string
}

// CertDigest is one entry of a certDigestList.
type CertDigest struct {
	Type  string // digest algorithm as written: "sha1", "sha256", "sm3", ...
	Value []byte
}

// Picture is SES_ESPictureInfo: the seal's image and its printed size.
type Picture struct {
	Type     string // as written: PNG, JPG, GIF, BMP, SVG, OFD (case varies in real seals)
	Data     []byte
	WidthMM  int
	HeightMM int
}

// Extension is one entry of ExtensionDatas.
type Extension struct {
	ID       string // OID, dotted
	Critical bool
	Value    []byte
}

// ParseSeal parses a SESeal of version 1, 4 or 5. The version is chosen by the number of
// elements (2: version 1; 4 or 5: header.version). Input is untrusted: any malformation yields
// an *Error with Reason Malformed (or UnsupportedVersion), never a panic. Deviations that real
// producers are known to make are accepted and listed in Quirks.
func ParseSeal(der []byte) (s *Seal, err error) {
	defer containPanic(&err, "SESeal")
	return parseSeal(der, "SESeal")
}

// parseSeal reads a seal, on its own or inside a signature, with its own quirks.
func parseSeal(der []byte, where string) (*Seal, error) {
	q := &quirks{}
	s := &Seal{}
	raw, err := parseLayout(s, der, q, where)
	if err != nil {
		return nil, err
	}
	s.Raw, s.Quirks = raw, q.list
	return s, nil
}

// layoutParser is a SESeal or an SES_Signature: both come in the GM/T 0031-2014 layout and in
// the GB/T 38540 one, told apart by their number of elements.
type layoutParser interface {
	parseV1(kids []tlv, q *quirks, where string) error
	parseV4(kids []tlv, q *quirks, where string) error
}

// parseLayout reads der's top-level SEQUENCE into p by its number of elements (2: version 1;
// 4 or 5: versions 4 and 5) and returns the SEQUENCE as received.
func parseLayout(p layoutParser, der []byte, q *quirks, where string) ([]byte, error) {
	top, kids, err := parseTop(der, q, where)
	if err != nil {
		return nil, err
	}
	switch len(kids) {
	case 2:
		err = p.parseV1(kids, q, where)
	case 4, 5:
		err = p.parseV4(kids, q, where)
	default:
		return nil, errorf(Malformed, "%s has %d elements; expected 2 (version 1) or 4 to 5 (version 4 or 5)", where, len(kids))
	}
	if err != nil {
		return nil, err
	}
	return top.raw, nil
}

func (s *Seal) parseV4(kids []tlv, q *quirks, where string) error {
	if err := s.parseSealInfo(kids[0], q, where+".eSealInfo", tagGeneralizedTime); err != nil {
		return err
	}
	switch s.Header.Version {
	case 4, 5:
		s.Version = s.Header.Version
	default:
		return errorf(UnsupportedVersion, "%s: header version %d in a %d-element SESeal (expected 4 or 5)", where, s.Header.Version, len(kids))
	}
	s.RawSealInfo = kids[0].raw
	s.RawESealInfo = kids[0].raw
	t, err := readSignedTail(kids, q, where, ".signAlgID", ".signedValue")
	if err != nil {
		return err
	}
	s.MakerCert, s.SignAlgorithm, s.SignedValue, s.TimeStamp = t.cert, t.algorithm, t.value, t.timeStamp
	if len(kids) == 5 && s.Version == 4 {
		q.add("%s: timeStamp (a version 5 field) in a version 4 seal", where)
	}
	return nil
}

// signedTail is what follows the signed content in a version 4 or 5 SESeal or SES_Signature:
// the signer's certificate, the algorithm, the signature value and an optional timestamp.
type signedTail struct {
	cert, value, timeStamp []byte
	algorithm              string
}

// readSignedTail reads kids[1:] of a 4- or 5-element SESeal or SES_Signature; algName and
// valueName are the standard's names of the algorithm and value fields, for messages.
func readSignedTail(kids []tlv, q *quirks, where, algName, valueName string) (signedTail, error) {
	var t signedTail
	var err error
	if t.cert, err = certOctets(kids[1], q, where+".cert"); err != nil {
		return t, err
	}
	if t.algorithm, err = oidValue(kids[2], where+algName); err != nil {
		return t, err
	}
	if t.value, err = signatureValue(kids[3], q, where+valueName); err != nil {
		return t, err
	}
	if len(kids) == 5 {
		if t.timeStamp, err = taggedTimeStamp(kids[4], q, where+".timeStamp"); err != nil {
			return t, err
		}
	}
	return t, nil
}

func (s *Seal) parseV1(kids []tlv, q *quirks, where string) error {
	if err := s.parseSealInfo(kids[0], q, where+".esealInfo", tagUTCTime); err != nil {
		return err
	}
	s.Version = 1
	if s.Header.Version != 1 {
		q.add("%s: header version %d in a 2-element (GM/T 0031-2014) seal; read as version 1", where, s.Header.Version)
	}
	s.RawESealInfo = kids[0].raw
	signInfo, err := sequence(kids[1], q, where+".signInfo")
	if err != nil {
		return err
	}
	if len(signInfo) != 3 {
		return errorf(Malformed, "%s.signInfo has %d elements; expected 3", where, len(signInfo))
	}
	if s.MakerCert, err = certOctets(signInfo[0], q, where+".signInfo.cert"); err != nil {
		return err
	}
	if s.SignAlgorithm, err = oidValue(signInfo[1], where+".signInfo.signatureAlgorithm"); err != nil {
		return err
	}
	if s.SignedValue, err = signatureValue(signInfo[2], q, where+".signInfo.signData"); err != nil {
		return err
	}
	// GM/T 0031-2014: the maker signs SEQUENCE { SES_SealInfo, cert, signatureAlgorithm }. Only the
	// outer header is written here; the three elements are the received bytes. (A builder that
	// only appends bytes cannot fail.)
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(kids[0].raw)
		b.AddBytes(signInfo[0].raw)
		b.AddBytes(signInfo[1].raw)
	})
	s.RawSealInfo = b.BytesOrPanic()
	return nil
}

// certOctets reads an OCTET STRING holding a DER certificate. A certificate written directly
// (a SEQUENCE, not wrapped in an OCTET STRING) is accepted with a quirk.
func certOctets(t tlv, q *quirks, where string) ([]byte, error) {
	if t.tag == tagSequence {
		q.add("%s: certificate written as a SEQUENCE, not wrapped in an OCTET STRING", where)
		return t.raw, nil
	}
	return octets(t, where)
}

// taggedTimeStamp reads timeStamp [0] BIT STRING: EXPLICIT as ofdrw and the 2025 text write it,
// or IMPLICIT (primitive [0]) with a quirk.
func taggedTimeStamp(t tlv, q *quirks, where string) ([]byte, error) {
	switch t.tag {
	case tagContext0:
		inner, rest, err := readTLV(t.body, q, where)
		if err != nil {
			return nil, err
		}
		if len(rest) != 0 {
			return nil, errorf(Malformed, "%s: extra data inside [0]", where)
		}
		switch inner.tag {
		case tagBitString:
			return bitStringBody(inner.body, q, where)
		case tagOctetString:
			q.add("%s: OCTET STRING where the standard says BIT STRING", where)
			return inner.body, nil
		case tagSequence:
			q.add("%s: timestamp token written directly, not in a BIT STRING", where)
			return inner.raw, nil
		}
		return nil, errorf(Malformed, "%s: unexpected tag 0x%02x inside [0]", where, inner.tag)
	case tagContext0Prim:
		q.add("%s: [0] tagged IMPLICIT, not EXPLICIT", where)
		return bitStringBody(t.body, q, where)
	}
	return nil, errorf(Malformed, "%s: expected [0], found tag 0x%02x", where, t.tag)
}

// parseSealInfo reads SES_SealInfo (the same layout in every version). timeTag is the time type
// the version's standard uses for the property dates.
func (s *Seal) parseSealInfo(t tlv, q *quirks, where string, timeTag byte) error {
	kids, err := sequence(t, q, where)
	if err != nil {
		return err
	}
	if len(kids) != 4 && len(kids) != 5 {
		return errorf(Malformed, "%s has %d elements; expected 4 or 5", where, len(kids))
	}
	if err := s.parseHeader(kids[0], q, where+".header"); err != nil {
		return err
	}
	if s.ESID, err = stringValue(kids[1], q, where+".esID", tagIA5String); err != nil {
		return err
	}
	if err := s.parseProperty(kids[2], q, where+".property", timeTag); err != nil {
		return err
	}
	if s.Picture, err = parsePicture(kids[3], q, where+".picture"); err != nil {
		return err
	}
	if len(kids) == 5 {
		if s.Extensions, err = parseExtensions(kids[4], q, where+".extDatas"); err != nil {
			return err
		}
	}
	return nil
}

func (s *Seal) parseHeader(t tlv, q *quirks, where string) error {
	kids, err := sequence(t, q, where)
	if err != nil {
		return err
	}
	if len(kids) != 3 {
		return errorf(Malformed, "%s has %d elements; expected 3", where, len(kids))
	}
	if s.Header.ID, err = stringValue(kids[0], q, where+".ID", tagIA5String); err != nil {
		return err
	}
	if s.Header.ID != "ES" {
		q.add("%s.ID is %q, not \"ES\"", where, s.Header.ID)
	}
	if s.Header.Version, err = intValue(kids[1], q, where+".version"); err != nil {
		return err
	}
	if s.Header.VendorID, err = stringValue(kids[2], q, where+".Vid", tagIA5String); err != nil {
		return err
	}
	return nil
}

// parseProperty reads SES_ESPropertyInfo in either layout: version 4/5 (7 elements, with
// certListType) or version 1 (6 elements, certList always certificates). A seal whose layout does
// not match its version is read by its layout, with a quirk.
func (s *Seal) parseProperty(t tlv, q *quirks, where string, timeTag byte) error {
	kids, err := sequence(t, q, where)
	if err != nil {
		return err
	}
	if len(kids) != 6 && len(kids) != 7 {
		return errorf(Malformed, "%s has %d elements; expected 7 (version 4/5) or 6 (version 1)", where, len(kids))
	}
	if s.Type, err = intValue(kids[0], q, where+".type"); err != nil {
		return err
	}
	var listEl tlv
	var dates []tlv
	switch {
	case len(kids) == 7:
		if timeTag == tagUTCTime {
			q.add("%s: version 4 layout (with certListType) in a version 1 seal", where)
		}
		if s.CertListType, err = intValue(kids[2], q, where+".certListType"); err != nil {
			return err
		}
		listEl, dates = kids[3], kids[4:7]
	default: // 6 elements
		if timeTag == tagGeneralizedTime {
			q.add("%s: version 1 layout (no certListType) in a version %d seal", where, s.Header.Version)
		}
		s.CertListType = CertListCertificates
		listEl, dates = kids[2], kids[3:6]
	}
	if s.Name, err = stringValue(kids[1], q, where+".name", tagUTF8String); err != nil {
		return err
	}
	if err := s.parseCertList(listEl, q, where+".certList"); err != nil {
		return err
	}
	if s.CreateDate, err = timeValue(dates[0], q, where+".createDate", timeTag); err != nil {
		return err
	}
	if s.ValidStart, err = timeValue(dates[1], q, where+".validStart", timeTag); err != nil {
		return err
	}
	if s.ValidEnd, err = timeValue(dates[2], q, where+".validEnd", timeTag); err != nil {
		return err
	}
	if s.ValidEnd.Before(s.ValidStart) {
		q.add("%s: validEnd %s is before validStart %s", where, s.ValidEnd.Format(time.RFC3339), s.ValidStart.Format(time.RFC3339))
	}
	return nil
}

// parseCertList reads SES_CertList. The CHOICE is untagged, so each entry is read by its shape:
// an OCTET STRING is a certificate, a SEQUENCE { string, OCTET STRING } is a digest, and a bare
// certificate SEQUENCE is a certificate. Entries of another shape are skipped with a quirk.
func (s *Seal) parseCertList(t tlv, q *quirks, where string) error {
	kids, err := sequence(t, q, where)
	if err != nil {
		return err
	}
	for i, k := range kids {
		at := fmt.Sprintf("%s[%d]", where, i)
		switch k.tag {
		case tagOctetString:
			s.Certs = append(s.Certs, k.body)
		case tagSequence:
			parts, err := sequence(k, q, at)
			if err != nil {
				return err
			}
			if len(parts) == 2 && parts[1].tag == tagOctetString {
				typ, err := stringValue(parts[0], q, at+".type", tagPrintableString)
				if err != nil {
					return err
				}
				s.CertDigests = append(s.CertDigests, CertDigest{Type: typ, Value: parts[1].body})
				continue
			}
			q.add("%s: certificate written as a SEQUENCE, not wrapped in an OCTET STRING", at)
			s.Certs = append(s.Certs, k.raw)
		default:
			q.add("%s: entry with tag 0x%02x is neither a certificate nor a digest; ignored", at, k.tag)
		}
	}
	switch {
	case s.CertListType != CertListCertificates && s.CertListType != CertListDigests:
		q.add("%s: certListType %d is outside 1..2; the list was read by its content", where, s.CertListType)
	case s.CertListType == CertListCertificates && len(s.CertDigests) > 0:
		q.add("%s: certListType 1 (certificates) but the list holds digests", where)
	case s.CertListType == CertListDigests && len(s.Certs) > 0:
		q.add("%s: certListType 2 (digests) but the list holds certificates", where)
	}
	if len(s.Certs) == 0 && len(s.CertDigests) == 0 {
		q.add("%s: no certificate or digest: the seal allows no signer", where)
	}
	return nil
}

func parsePicture(t tlv, q *quirks, where string) (Picture, error) {
	kids, err := sequence(t, q, where)
	if err != nil {
		return Picture{}, err
	}
	if len(kids) != 4 {
		return Picture{}, errorf(Malformed, "%s has %d elements; expected 4", where, len(kids))
	}
	var p Picture
	if p.Type, err = stringValue(kids[0], q, where+".type", tagIA5String); err != nil {
		return Picture{}, err
	}
	if p.Data, err = octets(kids[1], where+".data"); err != nil {
		return Picture{}, err
	}
	if p.WidthMM, err = intValue(kids[2], q, where+".width"); err != nil {
		return Picture{}, err
	}
	if p.HeightMM, err = intValue(kids[3], q, where+".height"); err != nil {
		return Picture{}, err
	}
	if sniffed := SniffImageType(p.Data); sniffed != "" && sniffed != canonicalImageType(p.Type) {
		q.add("%s: type says %q but the data is %s", where, p.Type, sniffed)
	}
	return p, nil
}

// parseExtensions reads ExtensionDatas: SEQUENCE OF SEQUENCE { extnID, critical BOOLEAN DEFAULT
// FALSE, extnValue OCTET STRING }.
func parseExtensions(t tlv, q *quirks, where string) ([]Extension, error) {
	kids, err := sequence(t, q, where)
	if err != nil {
		return nil, err
	}
	var out []Extension
	for i, k := range kids {
		at := fmt.Sprintf("%s[%d]", where, i)
		parts, err := sequence(k, q, at)
		if err != nil {
			return nil, err
		}
		if len(parts) != 2 && len(parts) != 3 {
			return nil, errorf(Malformed, "%s has %d elements; expected 2 or 3", at, len(parts))
		}
		var e Extension
		if e.ID, err = oidValue(parts[0], at+".extnID"); err != nil {
			return nil, err
		}
		if len(parts) == 3 {
			if e.Critical, err = boolValue(parts[1], q, at+".critical"); err != nil {
				return nil, err
			}
			if !e.Critical {
				q.add("%s.critical: FALSE written explicitly (DER omits a DEFAULT value)", at)
			}
		}
		if e.Value, err = octets(parts[len(parts)-1], at+".extnValue"); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func boolValue(t tlv, q *quirks, where string) (bool, error) {
	if t.tag != tagBoolean || len(t.body) != 1 {
		return false, errorf(Malformed, "%s: expected BOOLEAN", where)
	}
	switch t.body[0] {
	case 0:
		return false, nil
	case 0xff:
		return true, nil
	}
	q.add("%s: BOOLEAN TRUE written as 0x%02x, not 0xff (not DER)", where, t.body[0])
	return true, nil
}

// canonicalImageType maps the type names seals use to one spelling per format.
func canonicalImageType(t string) string {
	switch u := strings.ToUpper(strings.TrimSpace(t)); u {
	case "JPEG", "JPG":
		return "JPG"
	default:
		return u
	}
}

// SniffImageType names the format of picture data from its first bytes: "PNG", "JPG", "GIF",
// "BMP" or "OFD" (the type names a seal's picture carries), or "" if unknown.
func SniffImageType(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "PNG"
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return "JPG"
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return "GIF"
	case bytes.HasPrefix(data, []byte("BM")) && len(data) > 14:
		return "BMP"
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return "OFD"
	}
	return ""
}

// noteSignatureEncoding records an SM2 signature value that is not DER, as the standards require
// (VerifyMakerSignature and VerifySignatureValue accept and report these too).
func noteSignatureEncoding(v []byte, q *quirks, where string) {
	switch _, _, enc, _ := smcrypto.DecodeSignature(v, 32); enc {
	case smcrypto.EncodingRaw:
		q.add("%s: raw 64-byte r‖s, not DER", where)
	case smcrypto.EncodingDERNonMinimal:
		q.add("%s: not strict DER (an INTEGER without its leading zero byte, or with redundant bytes)", where)
	}
}

// containPanic turns a panic during parsing into a Malformed error: the parsers are written not
// to panic, and this is the last line of defence for untrusted input.
func containPanic(err *error, what string) {
	if r := recover(); r != nil {
		*err = errorf(Malformed, "%s: parser failed on malformed input (%v)", what, r)
	}
}
