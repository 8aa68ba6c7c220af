// Package status is the signed status a region publishes for its certificates, seals and
// licences (GET /v1/status/...), so that another region's verifier can rely on it: a JSON
// payload, an SM2 signature over its exact bytes, and the signer's certificate chain up to the
// region's root, against which a relying party checks it.
package status

import (
	"crypto"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
)

// Status is what a region says of one certificate, seal or licence.
type Status struct {
	Type string `json:"type"` // certificate, seal, licence, issuance
	ID   string `json:"id"`   // issuer key ID/serial, esID, licence identifier, hex SM3 digest a signature binds
	// State: good, revoked or unknown (certificates and seals); in_force, changed, withdrawn,
	// revoked, cancelled or unknown (licences); for an issuance, its licence's state, "issued"
	// when it issued no licence, or unknown.
	State string `json:"state"`
	// Licence is the licence an issuance issued.
	Licence        string    `json:"licence,omitempty"`
	Reason         string    `json:"reason,omitempty"`
	RevokedAt      time.Time `json:"revokedAt,omitzero"`
	InvalidityDate time.Time `json:"invalidityDate,omitzero"`
	Basis          string    `json:"basis,omitempty"`
	Replacement    string    `json:"replacement,omitempty"`
	ProducedAt     time.Time `json:"producedAt"`
	NextUpdate     time.Time `json:"nextUpdate"`
}

// Signed is the published form: the payload as signed, its signature, the signer's chain.
type Signed struct {
	Payload      string   `json:"payload"`      // base64 of the status JSON, the signed bytes
	Signature    string   `json:"signature"`    // base64 of the DER SM2 signature (SM2-with-SM3, signer ID 1234567812345678)
	Certificates []string `json:"certificates"` // base64 DER, the signer's first, the root last
}

// Sign signs st with an SM2 key whose chain ends in the region's root.
func Sign(st Status, key crypto.Signer, chain []*smcrypto.Certificate) ([]byte, error) {
	if len(chain) == 0 {
		return nil, errors.New("status: no signer certificate")
	}
	payload, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	sig, err := smcrypto.SignSM2(key, nil, payload)
	if err != nil {
		return nil, fmt.Errorf("status: sign: %w", err)
	}
	out := Signed{Payload: base64.StdEncoding.EncodeToString(payload), Signature: base64.StdEncoding.EncodeToString(sig)}
	for _, c := range chain {
		out.Certificates = append(out.Certificates, base64.StdEncoding.EncodeToString(c.Raw))
	}
	return json.Marshal(out)
}

// Verify checks a published status against the roots a relying party trusts: the signature over
// the payload's exact bytes, and the signer's chain to one of roots at now. It returns the status,
// and an error when any of that fails or the status is past its nextUpdate.
func Verify(body []byte, roots []*smcrypto.Certificate, now time.Time) (*Status, error) {
	var s Signed
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, fmt.Errorf("status: not a signed status: %w", err)
	}
	payload, err1 := base64.StdEncoding.DecodeString(s.Payload)
	sig, err2 := base64.StdEncoding.DecodeString(s.Signature)
	if err := errors.Join(err1, err2); err != nil || len(s.Certificates) == 0 {
		return nil, fmt.Errorf("status: malformed signed status: %v", err)
	}
	var certs []*smcrypto.Certificate
	for i, c := range s.Certificates {
		der, err := base64.StdEncoding.DecodeString(c)
		if err != nil {
			return nil, fmt.Errorf("status: certificate %d: %w", i, err)
		}
		cert, err := smcrypto.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("status: certificate %d: %w", i, err)
		}
		certs = append(certs, cert)
	}
	pub, ok := certs[0].PublicKey.(*ecdsa.PublicKey)
	if !ok || !smcrypto.IsSM2PublicKey(pub) {
		return nil, errors.New("status: the signer's key is not an SM2 key")
	}
	if _, err := smcrypto.BuildChain(certs[0], certs[1:], roots, now); err != nil {
		return nil, fmt.Errorf("status: the signer does not chain to a trusted root: %w", err)
	}
	if _, err := smcrypto.VerifySM2(pub, nil, payload, sig); err != nil {
		return nil, fmt.Errorf("status: the signature does not verify: %w", err)
	}
	var st Status
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, fmt.Errorf("status: payload: %w", err)
	}
	if !st.NextUpdate.IsZero() && now.After(st.NextUpdate) {
		return &st, fmt.Errorf("status: stale: its next update was %s", st.NextUpdate.Format(time.RFC3339))
	}
	return &st, nil
}
