package inspection

import (
	"regexp"
	"time"
)

// Role decides what a user may do; each role includes the ones below it.
type Role string

// Roles, lowest first.
const (
	RoleInspector Role = "inspector"
	RoleLead      Role = "lead"
	RoleAdmin     Role = "admin"
)

var roleRank = map[Role]int{RoleInspector: 1, RoleLead: 2, RoleAdmin: 3}

// ParseRole accepts one of the three role names.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if roleRank[r] == 0 {
		return "", Errorf(EINVALID, "Unknown role %q: use inspector, lead or admin.", s)
	}
	return r, nil
}

// Allows reports whether a user with role r may use something that needs min.
func (r Role) Allows(min Role) bool { return roleRank[r] > 0 && roleRank[r] >= roleRank[min] }

// User is a member of staff. The password is kept only as an argon2id hash.
type User struct {
	ID           string    `json:"id" gorm:"primaryKey"`
	Username     string    `json:"username"`
	PasswordHash string    `json:"-"`
	PinHash      string    `json:"-"`
	Role         Role      `json:"role"`
	SiteID       string    `json:"site_id"`
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 8

var usernamePattern = regexp.MustCompile(`^[a-zA-Z0-9._@-]{1,64}$`)

// ValidateNewUser checks a username, password and role before an account is made.
func ValidateNewUser(username, password string, role Role) error {
	switch {
	case !usernamePattern.MatchString(username):
		return Errorf(EINVALID, "Username must be 1-64 letters, digits or . _ @ -.")
	case len(password) < MinPasswordLength:
		return Errorf(EINVALID, "Password must be at least %d characters.", MinPasswordLength)
	case len(password) > 1024:
		return Errorf(EINVALID, "Password must be at most 1024 characters.")
	case roleRank[role] == 0:
		return Errorf(EINVALID, "Unknown role %q: use inspector, lead or admin.", role)
	}
	return nil
}

// Session is a login. Only the SHA-256 of its token is stored, so a copy of
// the database cannot be used to log in.
type Session struct {
	ID        string `gorm:"primaryKey"`
	TokenHash string `gorm:"column:token_hash"`
	UserID    string
	ExpiresAt time.Time
	CreatedAt time.Time
	RevokedAt *time.Time
}
