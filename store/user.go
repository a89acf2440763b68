package store

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/returnbench/returnbench/inspection"
	"gorm.io/gorm"
)

// CreateUser adds an account; the caller has hashed the password already.
func (s *Store) CreateUser(ctx context.Context, u *inspection.User, actorID string) error {
	return s.writeTx(ctx, func(tx *gorm.DB) error { return s.createUser(tx, u, actorID) })
}

func (s *Store) createUser(tx *gorm.DB, u *inspection.User, actorID string) error {
	if u.ID == "" {
		u.ID = uuid.NewString()
	}
	if u.SiteID == "" {
		u.SiteID = inspection.DefaultSiteID
	}
	if err := tx.Create(u).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return inspection.Errorf(inspection.ECONFLICT, "Username %q is already taken.", u.Username)
		}
		return translate(err, "User")
	}
	if actorID == "" {
		actorID = u.ID
	}
	return s.appendAudit(tx, actorID, "user.create", "user", u.ID,
		map[string]any{"username": u.Username, "role": u.Role, "site_id": u.SiteID})
}

// UserByUsername finds an account by its login name.
func (s *Store) UserByUsername(ctx context.Context, username string) (*inspection.User, error) {
	var u inspection.User
	err := s.readDB(ctx).Where("username = ?", username).Take(&u).Error
	return &u, translate(err, "User")
}

// UserByID finds an account by its id.
func (s *Store) UserByID(ctx context.Context, id string) (*inspection.User, error) {
	var u inspection.User
	err := s.readDB(ctx).Where("id = ?", id).Take(&u).Error
	return &u, translate(err, "User")
}

// ListUsers returns every account, by name.
func (s *Store) ListUsers(ctx context.Context) ([]inspection.User, error) {
	var us []inspection.User
	err := s.readDB(ctx).Order("username").Limit(10000).Find(&us).Error
	return us, translate(err, "Users")
}

// CountUsers tells whether the installation still needs its first admin.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := s.readDB(ctx).Model(&inspection.User{}).Count(&n).Error
	return n, err
}

type setupToken struct {
	TokenHash string `gorm:"primaryKey"`
	ExpiresAt time.Time
	CreatedAt time.Time
}

// CreateSetupToken stores the hash of a one-time link that may create the
// first admin. It lives in the database so that any instance accepts it.
func (s *Store) CreateSetupToken(ctx context.Context, tokenHash string, expiresAt time.Time) error {
	return s.writeTx(ctx, func(tx *gorm.DB) error {
		return tx.Create(&setupToken{TokenHash: tokenHash, ExpiresAt: expiresAt}).Error
	})
}

// CreateFirstAdmin spends a setup token to create the first account. It
// fails once any account exists, so a leaked link is useless afterwards.
func (s *Store) CreateFirstAdmin(ctx context.Context, tokenHash string, u *inspection.User) error {
	return s.writeTx(ctx, func(tx *gorm.DB) error {
		var tok setupToken
		err := tx.Where("token_hash = ? AND expires_at > ?", tokenHash, s.now()).Take(&tok).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return inspection.Errorf(inspection.EUNAUTHORIZED, "This setup link is not valid or has expired. Restart the server for a new one.")
		} else if err != nil {
			return translate(err, "Setup token")
		}
		var n int64
		if err := tx.Model(&inspection.User{}).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return inspection.Errorf(inspection.ECONFLICT, "Setup is already done: sign in instead.")
		}
		u.Role = inspection.RoleAdmin
		if err := s.createUser(tx, u, ""); err != nil {
			return err
		}
		return tx.Where("1 = 1").Delete(&setupToken{}).Error
	})
}

// SetPin stores the hash of a user's badge PIN.
func (s *Store) SetPin(ctx context.Context, userID, pinHash string) error {
	return s.writeTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&inspection.User{}).Where("id = ?", userID).Update("pin_hash", pinHash).Error; err != nil {
			return translate(err, "User")
		}
		return s.appendAudit(tx, userID, "user.pin_set", "user", userID, nil)
	})
}
