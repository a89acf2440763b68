package store

import "context"

// TamperForTest rewrites one audit event behind the chain's back, as an
// attacker with database access would.
func (s *Store) TamperForTest(ctx context.Context, seq int64) error {
	return s.write.WithContext(ctx).Exec("UPDATE audit_events SET data = '{\"forged\":true}' WHERE seq = ?", seq).Error
}
