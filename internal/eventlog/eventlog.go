// Package eventlog is the region's notice log for the competent departments (Art. 28): every
// issuance and every lifecycle change as an Event, numbered without gaps, each carrying the hash
// of the one before and signed with SM2 by the region root, so that a department holding only the
// root detects a changed, reordered or missing event (VerifyChain). certstore appends events in
// the transaction of the change they report, with one outbox entry per registered webhook; the
// Deliverer posts them, in order per webhook, with retries and backoff, until acknowledged.
// Delivery is at least once: a receiver drops an event whose Seq it has seen.
package eventlog

import (
	"crypto"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/eseal/eseal/internal/smcrypto"
)

// Event types.
const (
	TypeIssuance           = "issuance"            // Data: the issuance record (document digest, seal, signer, licence)
	TypeCertificateRevoked = "certificate.revoked" // Data: the revocation (serial, issuer, reason, dates)
	TypeSealRevoked        = "seal.revoked"        // Data: the seal revocation
	TypeLicencePrefix      = "licence."            // licence.changed|withdrawn|revoked|cancelled; Data: the licence with its history
)

// Event is one entry of the log.
type Event struct {
	Seq     uint64          `json:"seq"` // 1, 2, 3, … without gaps
	Time    time.Time       `json:"time"`
	Type    string          `json:"type"`
	Subject string          `json:"subject"` // licence identifier, esID, issuer key ID/serial, document digest
	Data    json.RawMessage `json:"data"`
	// PrevHash is the Hash of event Seq-1 ("" for the first).
	PrevHash string `json:"prevHash"`
	// Hash is the hex SM3 of the signed bytes: the event's JSON with Hash and Signature empty.
	Hash string `json:"hash"`
	// Signature is the region root's SM2 signature (SM2-with-SM3, ID 1234567812345678, DER) of
	// the signed bytes.
	Signature []byte `json:"signature"`
}

func (e Event) signedBytes() []byte {
	e.Hash, e.Signature = "", nil
	b, _ := json.Marshal(e) // a struct of plain fields: cannot fail
	return b
}

// Seal sets e's PrevHash, Hash and Signature: e follows the event whose Hash is prev.
func Seal(e *Event, prev string, key crypto.Signer) error {
	if len(e.Data) == 0 {
		e.Data = json.RawMessage("null")
	}
	e.PrevHash = prev
	msg := e.signedBytes()
	sum := smcrypto.SM3(msg)
	sig, err := smcrypto.SignSM2(key, nil, msg)
	if err != nil {
		return fmt.Errorf("eventlog: signing event %d: %w", e.Seq, err)
	}
	e.Hash, e.Signature = hex.EncodeToString(sum[:]), sig
	return nil
}

// Verify checks one event's hash and its signature by root.
func Verify(e *Event, root *smcrypto.Certificate) error {
	pub, ok := root.PublicKey.(*ecdsa.PublicKey)
	if !ok || !smcrypto.IsSM2PublicKey(pub) {
		return errors.New("eventlog: the root's key is not an SM2 key")
	}
	msg := e.signedBytes()
	sum := smcrypto.SM3(msg)
	if hex.EncodeToString(sum[:]) != e.Hash {
		return fmt.Errorf("eventlog: event %d: its hash does not match its content", e.Seq)
	}
	if _, err := smcrypto.VerifySM2(pub, nil, msg, e.Signature); err != nil {
		return fmt.Errorf("eventlog: event %d: the root's signature does not verify: %w", e.Seq, err)
	}
	return nil
}

// VerifyChain checks events that follow the event whose Seq and Hash are afterSeq and afterHash
// (0 and "" for the log's start): each signed by root, numbered one after the other, each
// naming its predecessor's hash.
func VerifyChain(events []Event, root *smcrypto.Certificate, afterSeq uint64, afterHash string) error {
	seq, hash := afterSeq, afterHash
	for i := range events {
		e := &events[i]
		if e.Seq != seq+1 {
			return fmt.Errorf("eventlog: event %d follows event %d: events are missing or out of order", e.Seq, seq)
		}
		if seq > 0 && hash != "" && e.PrevHash != hash || seq == 0 && e.PrevHash != "" {
			return fmt.Errorf("eventlog: event %d does not follow the event before it (its previous hash differs)", e.Seq)
		}
		if err := Verify(e, root); err != nil {
			return err
		}
		seq, hash = e.Seq, e.Hash
	}
	return nil
}
