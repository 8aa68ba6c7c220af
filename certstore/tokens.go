package certstore

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eseal/eseal/internal/smcrypto"
	bolt "go.etcd.io/bbolt"
)

var bucketTokens = []byte("tokens")

// Roles an API token may have. Admin may do everything; the others one job each.
const (
	RoleAdmin   = "admin"   // tokens, trust, webhooks, backups, and all below
	RoleIssuer  = "issuer"  // sign, seals
	RoleRevoker = "revoker" // revocations and licence lifecycle
	RoleAuditor = "auditor" // read the audit log
)

// Roles lists the roles in the order they are documented.
var Roles = []string{RoleAdmin, RoleIssuer, RoleRevoker, RoleAuditor}

// ErrUnauthenticated: a token that is malformed, unknown or revoked.
var ErrUnauthenticated = errors.New("not a valid API token")

// Token is an API token as stored: its secret only as a hash.
type Token struct {
	ID        string    `json:"id"` // 16 hex digits, part of the token itself
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"createdAt"`
	CreatedBy string    `json:"createdBy,omitempty"`
	RevokedAt time.Time `json:"revokedAt,omitzero"`
	// Hash is the SM3 hash of the whole token (hex); the token is shown once and never stored.
	Hash string `json:"hash,omitempty"`
}

// Actor is how audit records name what this token did.
func (t *Token) Actor() string { return fmt.Sprintf("token:%s (%s)", t.Name, t.ID) }

// Allows reports whether the token's role covers role.
func (t *Token) Allows(role string) bool { return t.Role == RoleAdmin || t.Role == role }

// tokenPrefix marks eseal tokens, so that secret scanners and people recognise them.
const tokenPrefix = "eseal_"

func hashToken(token string) string {
	sum := smcrypto.SM3([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes a token with a role and returns it with its secret form, which is shown
// this once: the store keeps only its hash.
func (s *Store) CreateToken(name, role string) (*Token, string, error) {
	if !isRole(role) {
		return nil, "", fmt.Errorf("certstore: %w: role %q (one of %s)", ErrInvalidArgument, role, strings.Join(Roles, ", "))
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 || strings.ContainsAny(name, "\r\n\t") {
		return nil, "", fmt.Errorf("certstore: %w: a token's name is 1 to 100 characters on one line", ErrInvalidArgument)
	}
	var id [8]byte
	var secret [32]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, "", err
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return nil, "", err
	}
	tok := &Token{ID: hex.EncodeToString(id[:]), Name: name, Role: role, CreatedAt: s.now().UTC(), CreatedBy: s.actor}
	plain := tokenPrefix + tok.ID + "_" + base64.RawURLEncoding.EncodeToString(secret[:])
	tok.Hash = hashToken(plain)
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := putJSON(tx, bucketTokens, []byte(tok.ID), tok); err != nil {
			return err
		}
		return appendAudit(tx, tok.CreatedAt, s.actor, "token.create", tok.ID, fmt.Sprintf("token %q with role %s", name, role))
	})
	if err != nil {
		return nil, "", err
	}
	tok.Hash = ""
	return tok, plain, nil
}

func isRole(role string) bool {
	for _, r := range Roles {
		if r == role {
			return true
		}
	}
	return false
}

// RevokeToken ends a token at once; an unknown token is ErrNotFound, one already revoked
// ErrInvalidArgument.
func (s *Store) RevokeToken(id string) (*Token, error) {
	var tok Token
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := getJSON(tx, bucketTokens, []byte(strings.ToLower(id)), &tok); err != nil {
			return fmt.Errorf("certstore: token %q: %w", id, err)
		}
		if !tok.RevokedAt.IsZero() {
			return fmt.Errorf("certstore: %w: token %s was revoked on %s", ErrInvalidArgument, tok.ID, tok.RevokedAt.Format(time.RFC3339))
		}
		tok.RevokedAt = s.now().UTC()
		if err := putJSON(tx, bucketTokens, []byte(tok.ID), tok); err != nil {
			return err
		}
		return appendAudit(tx, tok.RevokedAt, s.actor, "token.revoke", tok.ID, fmt.Sprintf("token %q with role %s", tok.Name, tok.Role))
	})
	if err != nil {
		return nil, err
	}
	tok.Hash = ""
	return &tok, nil
}

// Tokens lists every token, revoked ones included (without their hashes).
func (s *Store) Tokens() ([]Token, error) {
	var out []Token
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var t Token
			if err := decodeJSON(bucketTokens, k, v, &t); err != nil {
				return err
			}
			t.Hash = ""
			out = append(out, t)
			return nil
		})
	})
	return out, err
}

// Authenticate returns the live token whose secret form this is.
func (s *Store) Authenticate(token string) (*Token, error) {
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	id, _, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || len(id) != 16 || len(token) > 200 {
		return nil, ErrUnauthenticated
	}
	var tok Token
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketTokens) == nil {
			return ErrNotFound
		}
		return getJSON(tx, bucketTokens, []byte(id), &tok)
	})
	if errors.Is(err, ErrNotFound) {
		return nil, ErrUnauthenticated
	} else if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(hashToken(token)), []byte(tok.Hash)) != 1 || !tok.RevokedAt.IsZero() {
		return nil, ErrUnauthenticated
	}
	tok.Hash = ""
	return &tok, nil
}
