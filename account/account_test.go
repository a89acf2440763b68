package account

import (
	"strings"
	"testing"
)

func TestPassword(t *testing.T) {
	hash, err := HashPassword("correct horse", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not argon2id with the default parameters", hash)
	}
	t.Run("OK", func(t *testing.T) {
		if ok, err := VerifyPassword(hash, "correct horse"); !ok || err != nil {
			t.Fatalf("got %v, %v; want true", ok, err)
		}
	})
	t.Run("WrongPassword", func(t *testing.T) {
		if ok, err := VerifyPassword(hash, "correct horsE"); ok || err != nil {
			t.Fatalf("got %v, %v; want false", ok, err)
		}
	})
	t.Run("SaltedDifferently", func(t *testing.T) {
		again, _ := HashPassword("correct horse", DefaultParams)
		if again == hash {
			t.Fatal("two hashes of one password are equal: salt is not random")
		}
	})
	t.Run("ErrMalformed", func(t *testing.T) {
		for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=x$AA$AA", "$argon2id$v=19$m=1,t=1,p=1$!!$AA"} {
			if _, err := VerifyPassword(bad, "x"); err == nil {
				t.Errorf("VerifyPassword(%q) gave no error", bad)
			}
		}
	})
}

func TestToken(t *testing.T) {
	tok, hash, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != 43 || HashToken(tok) != hash || hash == tok {
		t.Fatalf("token %q hash %q: want 43-char token whose hash matches", tok, hash)
	}
	tok2, _, _ := NewToken()
	if tok2 == tok {
		t.Fatal("two tokens are equal")
	}
}
