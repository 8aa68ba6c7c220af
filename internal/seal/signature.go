package seal

import (
	"strings"
	"time"
)

// Signature is a parsed SES_Signature (an electronic signature made with a seal) of version 1,
// 4 or 5.
type Signature struct {
	// Version is TBS_Sign.version for versions 4 and 5, and 1 for the 2-element GM/T 0031-2014 form.
	Version int
	// Raw is the SES_Signature element as received.
	Raw []byte
	// RawTBS is the TBS_Sign element as received: what the signer signed, in every version.
	RawTBS []byte
	// Seal is the seal embedded in TBS_Sign, with its own Quirks.
	Seal *Seal
	// TimeInfo is the signing time the signer claims. For version 1 it is read from the text in
	// TimeInfoText; it is the zero time when that text could not be read (see Quirks).
	TimeInfo time.Time
	// TimeInfoText is the version 1 timeInfo as written (a BIT STRING holding text); empty for
	// versions 4 and 5.
	TimeInfoText string
	// DataHash is the digest of the protected data (SM3 in practice).
	DataHash []byte
	// PropertyInfo names the protected data (in OFD, usually the path of Signature.xml).
	PropertyInfo string
	// SignerCert is the signer's certificate (DER, as received).
	SignerCert []byte
	// SignatureAlgorithm is the signature algorithm OID, dotted.
	SignatureAlgorithm string
	// SignatureValue is the signature over RawTBS: DER SEQUENCE{r, s} normally, raw r‖s from
	// some producers.
	SignatureValue []byte
	// TimeStamp is the optional RFC 3161 timestamp token over the signature value (versions 4/5).
	TimeStamp []byte
	// Extensions are TBS_Sign.extDatas.
	Extensions []Extension
	// Quirks lists every leniency applied while reading the signature (the seal's own are in
	// Seal.Quirks).
	Quirks []string
}

// ParseSignature parses an SES_Signature of version 1 (2 elements) or 4/5 (4 or 5 elements),
// including the seal inside it. Like ParseSeal it never panics on untrusted input and records
// every leniency in Quirks.
func ParseSignature(der []byte) (sig *Signature, err error) {
	defer containPanic(&err, "SES_Signature")
	q := &quirks{}
	const where = "SES_Signature"
	out := &Signature{}
	if out.Raw, err = parseLayout(out, der, q, where); err != nil {
		return nil, err
	}
	if out.Seal.Version != out.Version {
		q.add("%s: version %d signature carries a version %d seal", where, out.Version, out.Seal.Version)
	}
	out.Quirks = q.list
	return out, nil
}

func (sig *Signature) parseV4(kids []tlv, q *quirks, where string) error {
	tbs, err := sequence(kids[0], q, where+".toSign")
	if err != nil {
		return err
	}
	if len(tbs) != 5 && len(tbs) != 6 {
		return errorf(Malformed, "%s.toSign has %d elements; expected 5 or 6", where, len(tbs))
	}
	sig.RawTBS = kids[0].raw
	if sig.Version, err = intValue(tbs[0], q, where+".toSign.version"); err != nil {
		return err
	}
	if sig.Version != 4 && sig.Version != 5 {
		return errorf(UnsupportedVersion, "%s: TBS_Sign version %d in a %d-element SES_Signature (expected 4 or 5)", where, sig.Version, len(kids))
	}
	if err := sig.parseEmbeddedSeal(tbs[1], q, where+".toSign.eseal"); err != nil {
		return err
	}
	if sig.TimeInfo, err = timeValue(tbs[2], q, where+".toSign.timeInfo", tagGeneralizedTime); err != nil {
		return err
	}
	if sig.DataHash, err = dataHash(tbs[3], q, where+".toSign.dataHash"); err != nil {
		return err
	}
	if sig.PropertyInfo, err = stringValue(tbs[4], q, where+".toSign.propertyInfo", tagIA5String); err != nil {
		return err
	}
	if len(tbs) == 6 {
		if sig.Extensions, err = taggedExtensions(tbs[5], q, where+".toSign.extDatas"); err != nil {
			return err
		}
	}
	t, err := readSignedTail(kids, q, where, ".signatureAlgID", ".signature")
	if err != nil {
		return err
	}
	sig.SignerCert, sig.SignatureAlgorithm, sig.SignatureValue, sig.TimeStamp = t.cert, t.algorithm, t.value, t.timeStamp
	return nil
}

// taggedExtensions reads extDatas [0] EXPLICIT ExtensionDatas, or an untagged ExtensionDatas
// with a quirk.
func taggedExtensions(t tlv, q *quirks, where string) ([]Extension, error) {
	switch t.tag {
	case tagContext0:
		inner, rest, err := readTLV(t.body, q, where)
		if err != nil {
			return nil, err
		}
		if len(rest) != 0 {
			return nil, errorf(Malformed, "%s: extra data inside [0]", where)
		}
		return parseExtensions(inner, q, where)
	case tagSequence:
		q.add("%s: ExtensionDatas without its [0] tag", where)
		return parseExtensions(t, q, where)
	}
	return nil, errorf(Malformed, "%s: expected [0], found tag 0x%02x", where, t.tag)
}

func (sig *Signature) parseV1(kids []tlv, q *quirks, where string) error {
	tbs, err := sequence(kids[0], q, where+".toSign")
	if err != nil {
		return err
	}
	if len(tbs) != 7 && len(tbs) != 8 {
		return errorf(Malformed, "%s.toSign has %d elements; expected 7", where, len(tbs))
	}
	sig.RawTBS = kids[0].raw
	sig.Version = 1
	v, err := intValue(tbs[0], q, where+".toSign.version")
	if err != nil {
		return err
	}
	if v != 1 {
		q.add("%s: TBS_Sign version %d in a 2-element (GM/T 0031-2014) signature; read as version 1", where, v)
	}
	if err := sig.parseEmbeddedSeal(tbs[1], q, where+".toSign.eseal"); err != nil {
		return err
	}
	if sig.TimeInfo, sig.TimeInfoText, err = v1TimeInfo(tbs[2], q, where+".toSign.timeInfo"); err != nil {
		return err
	}
	if sig.DataHash, err = dataHash(tbs[3], q, where+".toSign.dataHash"); err != nil {
		return err
	}
	if sig.PropertyInfo, err = stringValue(tbs[4], q, where+".toSign.propertyInfo", tagIA5String); err != nil {
		return err
	}
	if sig.SignerCert, err = certOctets(tbs[5], q, where+".toSign.cert"); err != nil {
		return err
	}
	if sig.SignatureAlgorithm, err = oidValue(tbs[6], where+".toSign.signatureAlgorithm"); err != nil {
		return err
	}
	if len(tbs) == 8 {
		q.add("%s.toSign: extDatas after signatureAlgorithm (not in GM/T 0031-2014)", where)
		if sig.Extensions, err = taggedExtensions(tbs[7], q, where+".toSign.extDatas"); err != nil {
			return err
		}
	}
	if sig.SignatureValue, err = signatureValue(kids[1], q, where+".signature"); err != nil {
		return err
	}
	return nil
}

// parseEmbeddedSeal reads TBS_Sign.eseal; a seal wrapped in an OCTET STRING is accepted with a
// quirk (ofdrw reads that form too).
func (sig *Signature) parseEmbeddedSeal(t tlv, q *quirks, where string) error {
	raw := t.raw
	if t.tag == tagOctetString {
		q.add("%s: seal wrapped in an OCTET STRING", where)
		raw = t.body
	}
	s, err := parseSeal(raw, where)
	if err != nil {
		return err
	}
	sig.Seal = s
	return nil
}

// v1TimeInfo reads the GM/T 0031-2014 timeInfo: a BIT STRING whose octets are the signing time
// "as text". Producers write a DER UTCTime/GeneralizedTime there (ofdrw), ISO 8601 text
// ("2020-01-25T07:31:56.377Z"), or ASN.1-style digits. An unreadable text is kept in
// TimeInfoText with a zero time and a quirk, because the signature can still be checked.
func v1TimeInfo(t tlv, q *quirks, where string) (time.Time, string, error) {
	if t.tag == tagUTCTime || t.tag == tagGeneralizedTime {
		q.add("%s: a %s where GM/T 0031-2014 says BIT STRING", where, timeTypeName(t.tag))
		tm, err := parseASN1Time(string(t.body), t.tag == tagUTCTime, q, where)
		return tm, string(t.body), err
	}
	body, err := bitString(t, q, where)
	if err != nil {
		return time.Time{}, "", err
	}
	if len(body) > 0 && (body[0] == tagUTCTime || body[0] == tagGeneralizedTime) {
		if inner, rest, err := readTLV(body, &quirks{}, where); err == nil && len(rest) == 0 {
			if tm, err := parseASN1Time(string(inner.body), inner.tag == tagUTCTime, q, where); err == nil {
				return tm, string(inner.body), nil
			}
		}
	}
	text := strings.TrimSpace(strings.TrimRight(decodeText(body, q, where), "\x00"))
	if tm, ok := parseTextTime(text, q, where); ok {
		return tm, text, nil
	}
	q.add("%s: signing time text %q not understood; TimeInfo left zero", where, text)
	return time.Time{}, text, nil
}

// parseTextTime reads the textual time forms seen in version 1 signatures.
func parseTextTime(text string, q *quirks, where string) (time.Time, bool) {
	if text == "" {
		return time.Time{}, false
	}
	if isASN1TimeText(text) {
		digits := len(text)
		for i, c := range text {
			if c < '0' || c > '9' {
				digits = i
				break
			}
		}
		if tm, err := parseASN1Time(text, digits == 12, q, where); err == nil {
			return tm, true
		}
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02 15:04:05Z07:00"} {
		if tm, err := time.Parse(layout, text); err == nil {
			return tm.UTC(), true
		}
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006/01/02 15:04:05"} {
		if tm, err := time.ParseInLocation(layout, text, chinaStandardTime); err == nil {
			q.add("%s: time %q without zone, read as China Standard Time (UTC+8)", where, text)
			return tm.UTC(), true
		}
	}
	return time.Time{}, false
}

// isASN1TimeText reports whether text looks like YYYYMMDDHHMMSS[.f][Z|±hhmm] or YYMMDDHHMMSS[Z].
func isASN1TimeText(text string) bool {
	n := 0
	for n < len(text) && text[n] >= '0' && text[n] <= '9' {
		n++
	}
	return n >= 10
}
