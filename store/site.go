package store

import (
	"context"
	"regexp"

	"github.com/returnbench/returnbench/inspection"
	"gorm.io/gorm"
)

var siteIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// CreateSite adds a warehouse.
func (s *Store) CreateSite(ctx context.Context, site *inspection.Site, actorID string) error {
	if !siteIDPattern.MatchString(site.ID) {
		return inspection.Errorf(inspection.EINVALID, "A site id is 1-32 lower-case letters, digits, - or _.")
	}
	if site.Name == "" || len(site.Name) > 200 {
		return inspection.Errorf(inspection.EINVALID, "A site needs a name of up to 200 characters.")
	}
	return s.writeTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(site).Error; err != nil {
			return translate(err, "Site")
		}
		return s.appendAudit(tx, actorID, "site.create", "site", site.ID, site)
	})
}

// ListSites returns every site.
func (s *Store) ListSites(ctx context.Context) ([]inspection.Site, error) {
	out := []inspection.Site{}
	err := s.readDB(ctx).Order("id").Find(&out).Error
	return out, translate(err, "Sites")
}

// SiteByID finds a site.
func (s *Store) SiteByID(ctx context.Context, id string) (*inspection.Site, error) {
	var site inspection.Site
	err := s.readDB(ctx).Where("id = ?", id).Take(&site).Error
	return &site, translate(err, "Site")
}
