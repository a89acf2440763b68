package store

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"gorm.io/gorm"
)

// CreateSession records a login. The session row holds only the token's hash.
func (s *Store) CreateSession(ctx context.Context, sess *inspection.Session, clientIP string) error {
	if sess.ID == "" {
		sess.ID = uuid.NewString()
	}
	return s.writeTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(sess).Error; err != nil {
			return translate(err, "Session")
		}
		return s.appendAudit(tx, sess.UserID, "auth.login", "user", sess.UserID, map[string]any{"ip": clientIP})
	})
}

// SessionUser returns the live session for a token hash and its user. An
// expired, revoked or unknown session, or a disabled user, is unauthorized.
func (s *Store) SessionUser(ctx context.Context, tokenHash string) (*inspection.Session, *inspection.User, error) {
	var sess inspection.Session
	err := s.readDB(ctx).Where("token_hash = ? AND revoked_at IS NULL AND expires_at > ?", tokenHash, s.now()).Take(&sess).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, inspection.Errorf(inspection.EUNAUTHORIZED, "Your session has ended: sign in again.")
	} else if err != nil {
		return nil, nil, err
	}
	u, err := s.UserByID(ctx, sess.UserID)
	switch {
	case inspection.ErrorCode(err) == inspection.ENOTFOUND, err == nil && u.Disabled:
		return nil, nil, inspection.Errorf(inspection.EUNAUTHORIZED, "Your session has ended: sign in again.")
	case err != nil:
		return nil, nil, err
	}
	return &sess, u, nil
}

// RevokeSession ends a session at once, on every instance.
func (s *Store) RevokeSession(ctx context.Context, sess *inspection.Session) error {
	return s.writeTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(sess).Update("revoked_at", s.now()).Error; err != nil {
			return translate(err, "Session")
		}
		return s.appendAudit(tx, sess.UserID, "auth.logout", "user", sess.UserID, nil)
	})
}

type loginFailure struct {
	ID  string `gorm:"primaryKey"`
	Key string
	At  time.Time
}

// LoginFailures counts failed logins for a key (an account or a client
// address) since a time. Failures live in the database so that every
// instance behind a load balancer throttles the same attacker.
func (s *Store) LoginFailures(ctx context.Context, key string, since time.Time) (int64, error) {
	var n int64
	err := s.readDB(ctx).Model(&loginFailure{}).Where("key = ? AND at > ?", key, since).Count(&n).Error
	return n, err
}

// RecordLoginFailure counts one failed login against each key and forgets
// that key's failures older than a day.
func (s *Store) RecordLoginFailure(ctx context.Context, keys ...string) error {
	now := s.now()
	return s.writeTx(ctx, func(tx *gorm.DB) error {
		for _, k := range keys {
			if err := tx.Where("key = ? AND at < ?", k, now.Add(-24*time.Hour)).Delete(&loginFailure{}).Error; err != nil {
				return err
			}
			if err := tx.Create(&loginFailure{ID: uuid.NewString(), Key: k, At: now}).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// ClearLoginFailures forgets the failures of a key after a good login.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	return s.writeTx(ctx, func(tx *gorm.DB) error {
		return tx.Where("key = ?", key).Delete(&loginFailure{}).Error
	})
}
