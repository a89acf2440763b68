package store

import (
	"context"
	"time"

	"github.com/returnbench/returnbench/inspection"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// claimAnnouncement records that a return's claim window was announced.
type claimAnnouncement struct {
	ReturnID    string `gorm:"primaryKey"`
	SiteID      string
	OpensAt     time.Time
	AnnouncedAt time.Time
}

func (claimAnnouncement) TableName() string { return "claim_window_announcements" }

// claimSlack widens the database's pre-selection around the policy's
// calendar-day edges (time zones, DST); the policy decides exactly.
const claimSlack = 36 * time.Hour

// AnnounceClaimWindows finds FBA returns that were refunded and have not
// come back (not at the bench, not at an Amazon warehouse, not reimbursed)
// whose refunded-but-not-returned claim window is open now and was not
// announced before, records each, and queues claim.window_opened for the
// site's webhooks, in one transaction. Each return is announced once, by
// whichever instance gets there first; a window that closed before any
// check saw it open is not announced. It returns how many it announced.
func (s *Store) AnnounceClaimWindows(ctx context.Context, policies *inspection.Policies) (int, error) {
	now := s.now()
	minOpens, maxCloses := claimWindowBounds(policies)
	var cands []inspection.Return
	err := s.readDB(ctx).
		Where("channel = ? AND refunded_at IS NOT NULL AND arrived_at IS NULL AND fc_returned_at IS NULL AND reimbursed_amount = 0",
			inspection.ChannelFBA).
		Where("refunded_at <= ? AND refunded_at >= ?", now.AddDate(0, 0, -minOpens).Add(claimSlack),
			now.AddDate(0, 0, -maxCloses).Add(-claimSlack)).
		Where("NOT EXISTS (SELECT 1 FROM claim_window_announcements a WHERE a.return_id = returns.id)").
		Order("refunded_at, id").Find(&cands).Error
	if err != nil {
		return 0, translate(err, "Returns")
	}
	type due struct {
		ret           *inspection.Return
		opens, closes time.Time
	}
	var open []due
	for i := range cands {
		r := &cands[i]
		opens, closes, state := policies.For(r.Marketplace).ClaimWindow(*r.RefundedAt, now)
		if state == inspection.ClaimWindowOpen {
			open = append(open, due{r, opens, closes})
		}
	}
	if len(open) == 0 {
		return 0, nil
	}
	announced := 0
	err = s.writeTx(ctx, func(tx *gorm.DB) error {
		announced = 0
		for _, d := range open {
			// Read again under the write lock: the unit may have come back
			// since the scan.
			var fresh []inspection.Return
			if err := tx.Where("id = ? AND arrived_at IS NULL AND fc_returned_at IS NULL AND reimbursed_amount = 0", d.ret.ID).
				Limit(1).Find(&fresh).Error; err != nil {
				return translate(err, "Return")
			}
			if len(fresh) == 0 {
				continue
			}
			d.ret = &fresh[0]
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).
				Create(&claimAnnouncement{ReturnID: d.ret.ID, SiteID: d.ret.SiteID, OpensAt: d.opens.UTC(), AnnouncedAt: now})
			if res.Error != nil {
				return translate(res.Error, "Claim window announcement")
			}
			if res.RowsAffected == 0 {
				continue // another instance announced it first
			}
			if err := s.enqueueWebhooks(tx, d.ret.SiteID, EventClaimWindowOpened, map[string]any{
				"return": d.ret, "claim_window": map[string]any{"opens_at": d.opens, "closes_at": d.closes}}); err != nil {
				return err
			}
			announced++
		}
		return nil
	})
	return announced, err
}

// claimWindowBounds is the earliest opening and the latest closing day
// across the policies in force.
func claimWindowBounds(p *inspection.Policies) (minOpens, maxCloses int) {
	def := p.For("")
	minOpens, maxCloses = def.ClaimWindowOpensDays, def.ClaimWindowClosesDays
	if p == nil {
		return minOpens, maxCloses
	}
	for m := range p.ByMarketplace {
		pol := p.For(m)
		minOpens, maxCloses = min(minOpens, pol.ClaimWindowOpensDays), max(maxCloses, pol.ClaimWindowClosesDays)
	}
	return minOpens, maxCloses
}
