package certstore

import (
	"errors"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	s := initTest(t)
	tok, plain, err := s.As("cli:root").CreateToken("审批科 签章", RoleIssuer)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(plain, "eseal_"+tok.ID+"_") || tok.CreatedBy != "cli:root" {
		t.Fatalf("token %q, record %+v", plain, tok)
	}
	got, err := s.Authenticate(plain)
	if err != nil || got.ID != tok.ID || got.Role != RoleIssuer || got.Hash != "" {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	if !got.Allows(RoleIssuer) || got.Allows(RoleRevoker) || got.Allows(RoleAuditor) {
		t.Errorf("an issuer's permissions are wrong")
	}
	admin := &Token{Role: RoleAdmin}
	for _, r := range Roles {
		if !admin.Allows(r) {
			t.Errorf("admin does not allow %s", r)
		}
	}
	// The secret is not stored, and anything but the exact token is refused.
	list, _ := s.Tokens()
	if len(list) != 1 || list[0].Hash != "" {
		t.Fatalf("Tokens = %+v", list)
	}
	for _, bad := range []string{
		"", "Bearer " + plain, plain[:len(plain)-1], plain + "x", strings.ToUpper(plain),
		"eseal_0123456789abcdef_" + plain[len("eseal_"+tok.ID+"_"):], // another ID, the same secret
		"eseal_" + tok.ID, "eseal__x", strings.Repeat("a", 300), "eseal_" + strings.Repeat("f", 16) + "_x",
	} {
		if _, err := s.Authenticate(bad); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("Authenticate(%q) = %v, want ErrUnauthenticated", bad, err)
		}
	}
	for _, bad := range []struct{ name, role string }{
		{"x", "superuser"}, {"x", ""}, {"", RoleAdmin}, {"two\nlines", RoleAdmin}, {strings.Repeat("名", 101), RoleAdmin},
	} {
		if _, _, err := s.CreateToken(bad.name, bad.role); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("CreateToken(%q, %q) = %v, want ErrInvalidArgument", bad.name, bad.role, err)
		}
	}
	if _, err := s.RevokeToken(strings.ToUpper(tok.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(plain); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("a revoked token: %v", err)
	}
	if _, err := s.RevokeToken(tok.ID); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("revoked twice: %v", err)
	}
	if _, err := s.RevokeToken("0000000000000000"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown token: %v", err)
	}
	log, _ := s.AuditLog()
	var actions []string
	for _, r := range log {
		if strings.HasPrefix(r.Action, "token.") {
			actions = append(actions, r.Action+" "+r.Actor)
		}
	}
	if strings.Join(actions, ",") != "token.create cli:root,token.revoke " {
		t.Errorf("audit: %q", actions)
	}
}

// FuzzAuthenticate: no string but the token made is accepted, and none panics.
func FuzzAuthenticate(f *testing.F) {
	s := initTest(f)
	_, plain, err := s.CreateToken("fuzz", RoleAuditor)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(plain)
	f.Add(plain[:len(plain)-1] + "A")
	f.Add("eseal_" + strings.Repeat("0", 16) + "_")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		tok, err := s.Authenticate(token)
		if token == plain {
			if err != nil || tok.Role != RoleAuditor {
				t.Fatalf("the token made: %v", err)
			}
			return
		}
		if !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("Authenticate(%q) = %+v, %v", token, tok, err)
		}
	})
}
