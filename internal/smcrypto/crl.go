package smcrypto

import (
	"crypto"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

// CRL types are those of the SM2-aware X.509 package, aliased (as Certificate is) so that only
// this package imports gmsm.
type (
	RevocationList      = smx509.RevocationList
	RevocationListEntry = smx509.RevocationListEntry
)

// OIDInvalidityDate is the CRL entry extension for the date a key is known or suspected to have
// become unusable (RFC 5280 §5.3.2).
var OIDInvalidityDate = asn1.ObjectIdentifier{2, 5, 29, 24}

// InvalidityDateExtension is a CRL entry's invalidityDate extension.
func InvalidityDateExtension(t time.Time) (pkix.Extension, error) {
	v, err := asn1.MarshalWithParams(t.UTC(), "generalized")
	if err != nil {
		return pkix.Extension{}, err
	}
	return pkix.Extension{Id: OIDInvalidityDate, Value: v}, nil
}

// CreateCRL signs an X.509 v2 CRL (RFC 5280) with issuer's SM2 key, SM2-with-SM3 and the
// standard signer ID. The issuer needs the cRLSign key usage and a subject key identifier;
// t.Number is the cRLNumber, which must grow with every CRL of the issuer.
func CreateCRL(t *RevocationList, issuer *Certificate, issuerKey crypto.Signer) (der []byte, err error) {
	defer recoverAsError(&err)
	if issuerKey == nil || !IsSM2PublicKey(issuerKey.Public()) {
		return nil, errors.New("smcrypto: create CRL: the issuer key must be an SM2 key")
	}
	return smx509.CreateRevocationList(rand.Reader, t, issuer, issuerKey)
}

// ParseCRL parses a DER CRL. It never panics.
func ParseCRL(der []byte) (crl *RevocationList, err error) {
	defer recoverAsError(&err)
	return smx509.ParseRevocationList(der)
}
