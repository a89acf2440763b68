package inspection

import "time"

// Reimbursement is a payment Amazon made for a unit (lost, damaged, or
// refunded and never returned), from the FBA Reimbursements report.
type Reimbursement struct {
	ID                string     `json:"id" gorm:"primaryKey"`
	SiteID            string     `json:"site_id"`
	ReimbursementID   string     `json:"reimbursement_id"`
	SKU               string     `json:"sku"`
	ApprovalDate      *time.Time `json:"approval_date"`
	CaseID            string     `json:"case_id"`
	OrderID           string     `json:"order_id"`
	Reason            string     `json:"reason"`
	FNSKU             string     `json:"fnsku"`
	ASIN              string     `json:"asin"`
	ProductName       string     `json:"product_name"`
	Condition         string     `json:"condition"`
	Currency          string     `json:"currency"`
	AmountPerUnit     Cents      `json:"amount_per_unit"`
	AmountTotal       Cents      `json:"amount_total"`
	QuantityCash      int        `json:"quantity_cash"`
	QuantityInventory int        `json:"quantity_inventory"`
	QuantityTotal     int        `json:"quantity_total"`
	OriginalID        string     `json:"original_id"`
	OriginalType      string     `json:"original_type"`
	SourceHash        string     `json:"-"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
}
